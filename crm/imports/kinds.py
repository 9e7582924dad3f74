"""What each kind of import reads: its fields, which are required, and how a cell is read.

A row becomes a dict of cleaned values, holding only the fields that are mapped to a
column and whose cell is not empty. An empty cell never overwrites: re-importing a file
with a blank column leaves what the CRM holds, and a new record takes the field's
default. Fields that name another record (owner, company, pipeline, stage) are read as
text here and looked up, a batch at a time, by the writers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import LeadSource, LeadStatus, RecordKind
from contacts.services.duplicates import normalise_domain
from contacts.services.record_values import active_record_fields
from core.countries import INVALID_MESSAGE as COUNTRY_MESSAGE
from core.countries import UNKNOWN_NAME_MESSAGE, country_code
from core.currencies import INVALID_MESSAGE as CURRENCY_MESSAGE
from core.currencies import is_currency, normalise_currency, sign_message
from core.custom_fields.forms import custom_field_name
from core.custom_fields.kinds import JsonValue, coerce
from core.custom_fields.models import CustomFieldDefinition
from crm.imports.models import ImportKind
from crm.imports.parsing import CellError, Row, parse_date, parse_datetime, parse_decimal
from crm.imports.words import choice_words, yes_no_words
from forecasting.periods import Period, parse_period
from pipeline.models import OpportunityStatus
from pipeline.services.custom_fields import active_deal_fields

MAX_VALUE = Decimal("999999999999.99")  # Opportunity.value: 14 digits, 2 decimals


def text(max_length: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if len(value) > max_length:
            raise CellError(
                _("Longer than %(max)s characters (%(length)s).")
                % {"max": max_length, "length": len(value)}
            )
        return value

    return clean


def email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not an email address.") % {"value": value}) from None
    return value


def domain(value: str) -> str:
    # Stored the way the pages store domains: lower-case, without scheme, "www." or path.
    host = normalise_domain(value)
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host):
        raise CellError(_("“%(value)s” is not a domain such as example.com.") % {"value": value})
    return host


def country(value: str) -> str:
    """An ISO code, or a country's name as exports write it ("United States", "Jerman")."""
    code = country_code(value)
    if code is None:
        # Two letters are meant as a code, and are told so; anything else as a name.
        message = COUNTRY_MESSAGE if re.fullmatch(r"[A-Za-z]{2}", value) else UNKNOWN_NAME_MESSAGE
        raise CellError(message % {"value": value})
    return code


def currency(value: str) -> str:
    """An ISO 4217 code, in any case ("eur"); a sign ("€") is refused with its code."""
    code = normalise_currency(value)
    if not is_currency(code):
        raise CellError(sign_message(value) or CURRENCY_MESSAGE % {"value": value})
    return code


def money(value: str) -> Decimal:
    amount = parse_decimal(value)
    if amount < 0:
        raise CellError(_("Value cannot be negative."))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("“%(value)s” has more than two decimals.") % {"value": value})
    if amount > MAX_VALUE:
        raise CellError(_("“%(value)s” is too large.") % {"value": value})
    return amount.quantize(Decimal("0.01"))


QUANTITY_LIMIT = Decimal(10) ** 10  # LineItem.quantity: 12 digits, 2 decimals


def quantity(value: str) -> Decimal:
    amount = parse_decimal(value)
    if amount <= 0:
        raise CellError(_("Quantity must be more than 0."))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("“%(value)s” has more than two decimals.") % {"value": value})
    if amount >= QUANTITY_LIMIT:
        raise CellError(_("“%(value)s” is too large.") % {"value": value})
    return amount.quantize(Decimal("0.01"))


def lead_source(value: str) -> str:
    code = choice_words(LeadSource).get(value.casefold())
    if code is not None:
        return code
    raise CellError(
        _("“%(value)s” is not a lead source; use one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(LeadSource.values)}
    )


def lead_status(value: str) -> str:
    code = choice_words(LeadStatus).get(value.casefold())
    if code is not None:
        return code
    raise CellError(
        _("“%(value)s” is not a lead status; use one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(LeadStatus.values)}
    )


def prices(value: str) -> dict[str, Decimal]:
    """``EUR 1200.00; USD 1300`` as {"EUR": 1200.00, "USD": 1300.00}: a price per currency."""
    found: dict[str, Decimal] = {}
    for part in value.split(";"):
        words = part.split()
        if not words:
            continue
        if len(words) != 2:
            raise CellError(
                _("“%(value)s” is not a currency and a price, such as “EUR 1200.00”.")
                % {"value": part.strip()}
            )
        code = currency(words[0])
        if code in found:
            raise CellError(_("%(currency)s has two prices.") % {"currency": code})
        found[code] = money(words[1])
    return found


def yes_no(value: str) -> bool:
    wanted = value.casefold()
    yes, no = yes_no_words()
    if wanted in yes:
        return True
    if wanted in no:
        return False
    raise CellError(_("“%(value)s” is neither yes nor no.") % {"value": value})


def deal_status(value: str) -> str:
    """open, won or lost, in any case, or the status's name in the user's language."""
    code = choice_words(OpportunityStatus).get(value.casefold())
    if code is not None:
        return code
    raise CellError(
        _("“%(value)s” is not a deal status; use one of: %(choices)s.")
        % {"value": value, "choices": ", ".join(OpportunityStatus.values)}
    )


def quota_period(value: str) -> Period:
    """A quarter such as 2026-Q3 or a month such as 2026-07."""
    try:
        return parse_period(value)
    except ValueError as error:
        raise CellError(str(error)) from None


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    clean: Callable[[str], Any]
    required: bool = False
    help_text: str | Promise = ""
    # "date" or "datetime" for fields read from dates: their columns' format is decided
    # from all the column's values before anything is written.
    temporal: str = ""

    @property
    def column_names(self) -> set[str]:
        """Header names this field is mapped to without asking: its name or its label."""
        return {self.name.casefold(), str(self.label).casefold(), self.name.replace("_", " ")}


EXTERNAL_ID = Field(
    "external_id",
    gettext_lazy("External id"),
    text(100),
    help_text=gettext_lazy("The record's id in the system it comes from; a re-import updates it."),
)
OWNER = Field(
    "owner",
    gettext_lazy("Owner"),
    text(150),
    help_text=gettext_lazy("User name or email; empty: you."),
)


def moment(name: str, label: Promise, help_text: str | Promise = "") -> Field:
    """A field holding a moment in the record's past: a date, or a date and time."""
    return Field(name, label, parse_datetime, help_text=help_text, temporal="datetime")


CREATED_AT = moment(
    "created_at",
    gettext_lazy("Created at"),
    gettext_lazy("When the record was created in the system it comes from; empty: now."),
)
COMPANY = Field(
    "company",
    gettext_lazy("Company"),
    text(200),
    required=True,
    help_text=gettext_lazy("The company's external id or its name."),
)

# Activities (tasks and touchpoints): what a row is about. Each names a record the import
# or an earlier one brought (``crm.imports.subjects``); a row needs at least one of them.
# Choice cells (a touchpoint's kind and outcome, a task's done) are read as text here: the
# writer translates the vendor's words through the import's value mapping first.
ACTIVITY_SUBJECT_FIELDS: tuple[Field, ...] = (
    Field(
        "deal",
        gettext_lazy("Deal"),
        text(200),
        help_text=gettext_lazy("The deal's external id or its title."),
    ),
    Field(
        "contact",
        gettext_lazy("Contact"),
        text(254),
        help_text=gettext_lazy("The contact's external id, email or full name."),
    ),
    Field(
        "lead",
        gettext_lazy("Lead"),
        text(254),
        help_text=gettext_lazy("The lead's external id or email."),
    ),
    Field(
        "company",
        gettext_lazy("Company"),
        text(200),
        help_text=gettext_lazy("The company's external id or its name."),
    ),
    Field(
        "related",
        gettext_lazy("Related record"),
        text(100),
        help_text=gettext_lazy(
            "The external id of a deal, contact, lead or company, whichever holds it "
            "(Salesforce WhatId)."
        ),
    ),
    Field(
        "related_person",
        gettext_lazy("Related person"),
        text(100),
        help_text=gettext_lazy(
            "The external id of a contact or a lead, whichever holds it (Salesforce WhoId)."
        ),
    ),
)
ACTIVITY_SUBJECTS = tuple(field.name for field in ACTIVITY_SUBJECT_FIELDS)
ACTIVITY_OWNER = Field(
    "owner",
    gettext_lazy("Owner"),
    text(150),
    help_text=gettext_lazy("Who it is assigned to or who did it: user name or email; empty: you."),
)
DONE = Field(
    "done",
    gettext_lazy("Done"),
    text(50),
    help_text=gettext_lazy("yes or no, or the file's own words for them (Completed)."),
)


ACTIVITY_FIELDS: Mapping[str, tuple[Field, ...]] = {
    ImportKind.TASKS: (
        EXTERNAL_ID,
        Field("title", gettext_lazy("Title"), text(200), required=True),
        Field("notes", gettext_lazy("Notes"), text(10_000)),
        Field(
            "due_at",
            gettext_lazy("Due"),
            parse_datetime,
            help_text=gettext_lazy("Empty: when it was done, else when it was created."),
            temporal="datetime",
        ),
        moment("done_at", gettext_lazy("Done at")),
        DONE,
        ACTIVITY_OWNER,
        *ACTIVITY_SUBJECT_FIELDS,
        CREATED_AT,
    ),
    ImportKind.TOUCHPOINTS: (
        EXTERNAL_ID,
        # Not required: an export of one kind of activity (HubSpot's calls) has no column
        # for it, and its value mapping gives every row the kind ("*": "call").
        Field(
            "kind",
            gettext_lazy("Kind"),
            text(50),
            help_text=gettext_lazy("call, email, meeting or note, or the file's own words."),
        ),
        # Required of every new touchpoint, checked by the writer: a planned row (done no)
        # has no time it happened, and its reason should say it is planned.
        moment("at", gettext_lazy("At"), gettext_lazy("When it happened; required.")),
        Field(
            "subject",
            gettext_lazy("Subject"),
            text(255),
            help_text=gettext_lazy("A title; it starts the summary."),
        ),
        Field("summary", gettext_lazy("Summary"), text(5000)),
        Field("outcome", gettext_lazy("Outcome"), text(100)),
        DONE,
        ACTIVITY_OWNER,
        *ACTIVITY_SUBJECT_FIELDS,
    ),
}

FIELDS: Mapping[str, tuple[Field, ...]] = {
    ImportKind.COMPANIES: (
        EXTERNAL_ID,
        Field("name", gettext_lazy("Name"), text(200), required=True),
        Field("domain", gettext_lazy("Domain"), domain),
        Field("industry", gettext_lazy("Industry"), text(100)),
        Field("country", gettext_lazy("Country"), country),
        Field("region", gettext_lazy("Region"), text(100)),
        OWNER,
        CREATED_AT,
    ),
    ImportKind.CONTACTS: (
        EXTERNAL_ID,
        Field("first_name", gettext_lazy("First name"), text(100), required=True),
        Field("last_name", gettext_lazy("Last name"), text(100)),
        Field("email", gettext_lazy("Email"), email),
        Field("phone", gettext_lazy("Phone"), text(40)),
        Field("job_title", gettext_lazy("Job title"), text(100)),
        COMPANY,
        OWNER,
        CREATED_AT,
    ),
    ImportKind.LEADS: (
        EXTERNAL_ID,
        Field("first_name", gettext_lazy("First name"), text(100)),
        Field("last_name", gettext_lazy("Last name"), text(100), required=True),
        Field("email", gettext_lazy("Email"), email),
        Field("phone", gettext_lazy("Phone"), text(40)),
        Field("company_name", gettext_lazy("Company name"), text(200)),
        Field("company_domain", gettext_lazy("Company domain"), domain),
        Field("job_title", gettext_lazy("Job title"), text(100)),
        Field("country", gettext_lazy("Country"), country),
        Field("region", gettext_lazy("Region"), text(100)),
        Field(
            "source",
            gettext_lazy("Source"),
            lead_source,
            help_text=gettext_lazy(
                "web, referral, event, outbound, partner or other; empty: import."
            ),
        ),
        Field(
            "status",
            gettext_lazy("Status"),
            lead_status,
            help_text=gettext_lazy(
                "new, contacted, qualified, disqualified or converted; empty: new."
            ),
        ),
        OWNER,
        CREATED_AT,
    ),
    ImportKind.DEALS: (
        EXTERNAL_ID,
        Field("title", gettext_lazy("Title"), text(200), required=True),
        # A deal is with a company, a contact or both: neither column alone is required.
        Field(
            "company",
            gettext_lazy("Company"),
            text(200),
            help_text=gettext_lazy(
                "The company's external id or its name; empty: the contact's company."
            ),
        ),
        Field(
            "contact",
            gettext_lazy("Contact"),
            text(254),
            help_text=gettext_lazy("The contact's external id or email."),
        ),
        OWNER,
        Field(
            "pipeline",
            gettext_lazy("Pipeline"),
            text(100),
            help_text=gettext_lazy("Pipeline name; empty: the first pipeline."),
        ),
        Field(
            "stage",
            gettext_lazy("Stage"),
            text(100),
            help_text=gettext_lazy("Stage name; empty: the pipeline's first stage."),
        ),
        Field("value", gettext_lazy("Value"), money),
        Field("currency", gettext_lazy("Currency"), currency),
        Field(
            "product",
            gettext_lazy("Product"),
            text(200),
            help_text=gettext_lazy(
                "Name, code or another name of a catalogue product; the deal gets it as a "
                "line item."
            ),
        ),
        Field(
            "quantity",
            gettext_lazy("Quantity"),
            quantity,
            help_text=gettext_lazy("Of the product; empty: 1."),
        ),
        Field(
            "expected_close_date",
            gettext_lazy("Expected close date"),
            parse_date,
            temporal="date",
        ),
        Field("lost_reason", gettext_lazy("Lost reason"), text(200)),
        # The deal's history (writers/deal_history.py puts these times in order).
        CREATED_AT,
        moment(
            "stage_entered_at",
            gettext_lazy("Entered stage at"),
            gettext_lazy("When the deal entered its stage; empty: when it was created."),
        ),
        moment(
            "closed_at",
            gettext_lazy("Closed at"),
            gettext_lazy("When a won or lost deal was won or lost."),
        ),
        moment("won_at", gettext_lazy("Won at")),
        moment("lost_at", gettext_lazy("Lost at")),
        moment(
            "first_engaged_at",
            gettext_lazy("First engaged at"),
            gettext_lazy("When the buyer first engaged: the sales cycle starts here."),
        ),
        moment("last_touch_at", gettext_lazy("Last touch at")),
        Field(
            "status",
            gettext_lazy("Status"),
            deal_status,
            help_text=gettext_lazy(
                "open, won or lost; a won or lost deal named with an open stage goes to the "
                "pipeline's won or lost stage."
            ),
        ),
        Field(
            "is_won",
            gettext_lazy("Won"),
            yes_no,
            help_text=gettext_lazy("yes or no, as Salesforce's IsWon."),
        ),
        Field(
            "is_closed",
            gettext_lazy("Closed"),
            yes_no,
            help_text=gettext_lazy("yes or no, as Salesforce's IsClosed."),
        ),
    ),
    # One row per product. Admins only: the catalogue is theirs.
    ImportKind.PRODUCTS: (
        EXTERNAL_ID,
        Field("name", gettext_lazy("Name"), text(200), required=True),
        Field(
            "code",
            gettext_lazy("Code"),
            text(50),
            help_text=gettext_lazy("SKU; unique, whatever the case."),
        ),
        Field("description", gettext_lazy("Description"), text(10_000)),
        Field(
            "prices",
            gettext_lazy("Prices"),
            prices,
            help_text=gettext_lazy(
                "A unit price per currency, e.g. “EUR 1200.00; USD 1300.00”; it replaces the "
                "product's prices."
            ),
        ),
        Field(
            "is_active",
            gettext_lazy("Active"),
            yes_no,
            help_text=gettext_lazy("yes or no; empty: yes for a new product."),
        ),
    ),
    # One row per owner and month or quarter; the rules are forecasting.quotas'.
    ImportKind.QUOTAS: (
        Field(
            "owner",
            gettext_lazy("Owner"),
            text(254),
            required=True,
            help_text=gettext_lazy("A user's e-mail address or a team's name."),
        ),
        Field(
            "period",
            gettext_lazy("Period"),
            quota_period,
            required=True,
            help_text=gettext_lazy("A quarter such as 2026-Q3 or a month such as 2026-07."),
        ),
        Field("amount", gettext_lazy("Amount"), money, required=True),
        Field(
            "currency",
            gettext_lazy("Currency"),
            currency,
            help_text=gettext_lazy("ISO code; empty: the year's other quotas', else the default."),
        ),
    ),
    # One row per user. Admins only: who may sign in, and with which role, is theirs.
    ImportKind.USERS: (
        Field(
            "external_id",
            gettext_lazy("External id"),
            text(100),
            help_text=gettext_lazy(
                "The user's id in the old CRM (such as Salesforce's Id): owner columns holding "
                "it find the user, and a re-import updates them."
            ),
        ),
        Field(
            "username",
            gettext_lazy("User name"),
            text(150),
            help_text=gettext_lazy("Empty: made from the email or the name."),
        ),
        Field("email", gettext_lazy("Email"), email),
        Field("first_name", gettext_lazy("First name"), text(150)),
        Field("last_name", gettext_lazy("Last name"), text(150)),
        Field(
            "name",
            gettext_lazy("Full name"),
            text(301),
            help_text=gettext_lazy(
                "First and last name in one column, such as “Anna Example” or “Example, Anna”."
            ),
        ),
        Field(
            "role",
            gettext_lazy("Role"),
            text(50),
            help_text=gettext_lazy("rep, manager or admin; empty: rep for a new user."),
        ),
        Field(
            "team",
            gettext_lazy("Team"),
            text(100),
            help_text=gettext_lazy("A team's name; a team not there yet is created."),
        ),
        Field(
            "manager",
            gettext_lazy("Manager"),
            text(254),
            help_text=gettext_lazy(
                "Who manages the user's team: their email, user name, full name or external id."
            ),
        ),
        Field(
            "is_active",
            gettext_lazy("Active"),
            yes_no,
            help_text=gettext_lazy("yes or no; empty: yes for a new user."),
        ),
    ),
    **ACTIVITY_FIELDS,
}


CUSTOM_FIELD_PREFIX = custom_field_name("")
# The records whose custom fields an import of each kind fills; products have none.
CUSTOM_FIELD_RECORDS: Mapping[str, str] = {
    ImportKind.COMPANIES: RecordKind.COMPANY,
    ImportKind.CONTACTS: RecordKind.CONTACT,
    ImportKind.LEADS: RecordKind.LEAD,
}


def custom_field_definitions(kind: str) -> Sequence[CustomFieldDefinition]:
    """The active custom fields of ``kind``'s records: one query (none for products)."""
    if kind == ImportKind.DEALS:
        return active_deal_fields()
    if kind in CUSTOM_FIELD_RECORDS:
        return active_record_fields(CUSTOM_FIELD_RECORDS[kind])
    return ()


def custom_value(definition: CustomFieldDefinition) -> Callable[[str], JsonValue]:
    """A cell read by the field's kind, as the JSON the record stores."""

    def clean(value: str) -> JsonValue:
        try:
            return coerce(definition.kind, value, definition.choice_list)
        except ValidationError as error:
            raise CellError(
                _("%(label)s: %(message)s")
                % {"label": definition.label, "message": " ".join(error.messages)}
            ) from None

    return clean


def custom_field(definition: CustomFieldDefinition) -> Field:
    """A mapping target for one custom field, named as forms and services name it."""
    return Field(
        custom_field_name(definition.key),
        definition.label,
        custom_value(definition),
        help_text=definition.help_text,
    )


def fields_of(kind: str) -> tuple[Field, ...]:
    """The kind's own fields, then one per active custom field (one query)."""
    return (*FIELDS[kind], *(custom_field(d) for d in custom_field_definitions(kind)))


def custom_values(values: Mapping[str, Any]) -> dict[str, JsonValue]:
    """A cleaned row's custom values by key (what ``core.custom_fields.values`` merges)."""
    return {
        name.removeprefix(CUSTOM_FIELD_PREFIX): value
        for name, value in values.items()
        if name.startswith(CUSTOM_FIELD_PREFIX)
    }


def required_fields(kind: str) -> list[Field]:
    return [field for field in FIELDS[kind] if field.required]


# Kinds whose rows need one of several fields: a deal is with a company, a contact or both.
# A user is found again by one of their ids, so that importing a file twice updates them.
ONE_OF_REQUIRED: Mapping[str, tuple[str, ...]] = {
    ImportKind.DEALS: ("company", "contact"),
    ImportKind.USERS: ("external_id", "username", "email"),
    ImportKind.TASKS: ACTIVITY_SUBJECTS,
    ImportKind.TOUCHPOINTS: ACTIVITY_SUBJECTS,
}


def unmapped_alternatives(kind: str, mapping: Mapping[str, str]) -> list[Field]:
    """The fields of which one needs a column, when none of them has one; else empty."""
    names = ONE_OF_REQUIRED.get(kind, ())
    if any(mapping.get(name) for name in names):
        return []
    return [field for field in FIELDS[kind] if field.name in names]


def alternatives_message(fields: list[Field]) -> str:
    return _("Choose a column for at least one of: %(fields)s.") % {
        "fields": ", ".join(str(field.label) for field in fields)
    }


@dataclass(frozen=True)
class CellProblem:
    field: str
    message: str


@dataclass
class CleanRow:
    line: int
    values: dict[str, Any]
    problems: list[CellProblem]


def unmapped_columns(header: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """The file's named columns no field reads, in the file's order: the import ignores them."""
    mapped = set(mapping.values())
    return [name for name in header if name and name not in mapped]


def column_indexes(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Field name -> position of its column; the mapping was checked against the header."""
    positions = {name: index for index, name in enumerate(header)}
    return {field: positions[column] for field, column in mapping.items() if column}


def translations_of(values: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """ImportOptions.values keyed for ``RowCleaner``: the file's values without case."""
    return {
        name: {value.strip().casefold(): ours for value, ours in pairs.items()}
        for name, pairs in values.items()
    }


class RowCleaner:
    """Reads rows of one file into values: which cells to read, and with what, decided once.

    ``fields``: the kind's fields with its custom ones (``fields_of``, read once per file).
    ``readers``: field name -> the reader that replaces the field's own ``clean``; date
    columns are read this way, in the order decided from all their values (``dates.py``).
    ``translations``: field -> {the file's value, case-folded: ours} (``translations_of``),
    applied before the field reads the cell, so "Cold Call" is read as "outbound".
    Required fields are checked by the writer: a row that updates a record by its external
    id may leave them empty, a row that creates one may not.
    """

    def __init__(
        self,
        columns: Mapping[str, int],
        fields: Sequence[Field],
        readers: Mapping[str, Callable[[str], Any]] | None = None,
        translations: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        readers = readers or {}
        translations = translations or {}
        # Only the mapped fields, in the fields' order: a 100,000-row import looked up every
        # field of the kind (forty and more) and its reader for every row.
        self._cells = [
            (field.name, index, readers.get(field.name, field.clean), translations.get(field.name))
            for field in fields
            if (index := columns.get(field.name)) is not None
        ]

    def __call__(self, row: Row) -> CleanRow:
        """The row's mapped, non-empty cells read into values, and what is wrong with the rest."""
        values: dict[str, Any] = {}
        problems: list[CellProblem] = []
        cells = row.cells
        for name, index, read, translation in self._cells:
            cell = cells[index].strip()
            if not cell:
                continue
            if translation is not None:
                cell = translation.get(cell.casefold(), cell)
            try:
                values[name] = read(cell)
            except CellError as error:
                problems.append(CellProblem(name, str(error)))
        return CleanRow(row.line, values, problems)


def missing_required(kind: str, values: Mapping[str, Any]) -> list[CellProblem]:
    return [
        CellProblem(field.name, _("%(field)s is required.") % {"field": field.label})
        for field in FIELDS[kind]
        if field.required and field.name not in values
    ]
