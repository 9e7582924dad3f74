"""The kinds of custom field: what a value may be, its JSON form, display, form field, filter.

Stored JSON, chosen so that it reads back without loss and sorts and filters in SQL:

- text: a string; number and money: the decimal as a canonical string ("1234.5"), never a
  float (money is Decimal), compared in SQL after a cast to numeric;
- date: ISO "YYYY-MM-DD", which sorts as text in date order;
- yes/no: true or false; one choice: the choice's key; several choices: a list of keys.

An empty value is never stored: the key is absent from the record's ``custom_fields``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import DecimalField, Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThanOrEqual,
    IContains,
    IExact,
    LessThanOrEqual,
)
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

JsonValue = None | bool | str | list[str]

# Wide enough for any amount a deal holds (the deal's value is 14 digits, 2 decimals).
MAX_DIGITS = 20
DECIMAL_PLACES = 6
TEXT_MAX_LENGTH = 1000


class FieldKind(models.TextChoices):
    TEXT = "text", gettext_lazy("Text")
    NUMBER = "number", gettext_lazy("Number")
    MONEY = "money", gettext_lazy("Money")
    DATE = "date", gettext_lazy("Date")
    BOOLEAN = "boolean", gettext_lazy("Yes/no")
    CHOICE = "choice", gettext_lazy("One choice")
    CHOICES = "choices", gettext_lazy("Several choices")


CHOICE_KINDS = frozenset({FieldKind.CHOICE, FieldKind.CHOICES})
NUMERIC_KINDS = frozenset({FieldKind.NUMBER, FieldKind.MONEY})


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


def parse_choices(raw: object) -> list[Choice]:
    """A definition's stored choices (a list of {"key", "label"}) as Choice objects."""
    if not isinstance(raw, list):
        return []
    return [
        Choice(str(item.get("key", "")), str(item.get("label", "")))
        for item in raw
        if isinstance(item, dict)
    ]


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise ValidationError(_("Enter a number."))
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    _sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    if -exponent > DECIMAL_PLACES:
        raise ValidationError(
            _("Use at most %(places)d decimal places.") % {"places": DECIMAL_PLACES}
        )
    if len(digits) + min(exponent, 0) > MAX_DIGITS - DECIMAL_PLACES:
        raise ValidationError(_("This number is too large."))
    return number


def _canonical_decimal(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def _is_empty(raw: object) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())


def coerce(kind: str, raw: object, choices: Sequence[Choice] = ()) -> JsonValue:
    """``raw`` (from a form, the API or a CSV cell) as the JSON a record stores; None: empty.

    Raises ValidationError with a message a person can act on; the caller names the field.
    """
    if kind == FieldKind.BOOLEAN:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "yes", "1", "y", "on"}:
            return True
        if text in {"false", "no", "0", "n", "off"}:
            return False
        raise ValidationError(_("Enter yes or no."))
    if _is_empty(raw):
        return None
    if kind == FieldKind.TEXT:
        if not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
            raise ValidationError(_("Enter text."))
        if "\x00" in str(raw):
            raise ValidationError(_("Enter text without NUL characters."))
        text = " ".join(str(raw).split()) if "\n" not in str(raw) else str(raw).strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(count)d characters.") % {"count": TEXT_MAX_LENGTH}
            )
        return text
    if kind in NUMERIC_KINDS:
        return _canonical_decimal(_decimal(raw))
    if kind == FieldKind.DATE:
        if isinstance(raw, dt.datetime):
            raise ValidationError(_("Enter a date."))
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            parsed = parse_date(str(raw).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."))
        return parsed.isoformat()
    keys = [choice.key for choice in choices]
    if kind == FieldKind.CHOICE:
        key = str(raw).strip() if isinstance(raw, str | int) else None
        if key not in keys:
            raise ValidationError(_("Choose one of: %(keys)s.") % {"keys": ", ".join(keys)})
        return key
    if kind == FieldKind.CHOICES:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        picked = {str(item).strip() for item in items if str(item).strip()}
        unknown = sorted(picked - set(keys))
        if unknown:
            raise ValidationError(
                _("%(unknown)s is not a choice; choose from: %(keys)s.")
                % {"unknown": ", ".join(unknown), "keys": ", ".join(keys)}
            )
        # In the definition's order, so that equal selections store equal JSON.
        return [key for key in keys if key in picked] or None
    raise ValidationError(_("Unknown kind of field: %(kind)s.") % {"kind": kind})


def fits(kind: str, stored: object, choices: Sequence[Choice] = ()) -> bool:
    """Whether a stored value would be a valid value of ``kind`` (for a change of type)."""
    try:
        return coerce(kind, stored, choices) is not None or _is_empty(stored)
    except ValidationError:
        return False


def to_python(kind: str, stored: object) -> Any:
    """The stored JSON as Python: Decimal for numbers and money, date for dates."""
    if stored is None:
        return None
    if kind in NUMERIC_KINDS:
        try:
            return Decimal(str(stored))
        except InvalidOperation:
            return None
    if kind == FieldKind.DATE:
        try:
            return parse_date(str(stored))
        except ValueError:
            return None
    return stored


def display(kind: str, stored: object, choices: Sequence[Choice] = (), currency: str = "") -> str:
    """The value as a person reads it, in the active language's formats; "" when empty."""
    value = to_python(kind, stored)
    if value is None or value == "" or value == []:
        return ""
    labels = {choice.key: choice.label for choice in choices}
    if kind == FieldKind.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == FieldKind.NUMBER:
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if kind == FieldKind.MONEY:
        amount = formats.number_format(value, 2, use_l10n=True, force_grouping=True)
        return f"{amount} {currency}".strip()
    if kind == FieldKind.DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == FieldKind.CHOICE:
        return labels.get(str(value), str(value))
    if kind == FieldKind.CHOICES and isinstance(value, list):
        return ", ".join(labels.get(str(key), str(key)) for key in value)
    return str(value)


def csv_value(kind: str, stored: object) -> str:
    """The value as a CSV cell that the import reads back: machine formats, keys for choices."""
    if stored is None:
        return ""
    if kind == FieldKind.BOOLEAN:
        return "yes" if stored else "no"
    if isinstance(stored, list):
        return ",".join(str(item) for item in stored)
    return str(stored)


def form_field(
    kind: str,
    *,
    label: str,
    help_text: str = "",
    choices: Sequence[Choice] = (),
    required: bool = False,
) -> forms.Field:
    """A form field for one custom field; its ``clean`` gives what ``coerce`` accepts."""
    common: dict[str, Any] = {"label": label, "help_text": help_text, "required": required}
    if kind == FieldKind.TEXT:
        return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)
    if kind in NUMERIC_KINDS:
        return forms.DecimalField(
            max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, localize=True, **common
        )
    if kind == FieldKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldKind.BOOLEAN:
        return forms.NullBooleanField(
            widget=forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))]),
            **common,
        )
    options = [(choice.key, choice.label) for choice in choices]
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *options], **common)
    return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple, **common)


def form_initial(kind: str, stored: object) -> Any:
    """A stored value as its form field's initial value."""
    if kind == FieldKind.BOOLEAN:
        return None if stored is None else ("true" if stored else "false")
    return to_python(kind, stored)


# --- Filters ---------------------------------------------------------------------------


class Lookup(models.TextChoices):
    EQUALS = "eq", gettext_lazy("is")
    CONTAINS = "contains", gettext_lazy("contains")
    AT_LEAST = "gte", gettext_lazy("at least")
    AT_MOST = "lte", gettext_lazy("at most")
    IS_SET = "set", gettext_lazy("is filled in")


def lookups_for(kind: str) -> list[str]:
    """The lookups a list filter offers for ``kind``."""
    if kind == FieldKind.TEXT:
        return [Lookup.CONTAINS, Lookup.EQUALS, Lookup.IS_SET]
    if kind in NUMERIC_KINDS or kind == FieldKind.DATE:
        return [Lookup.EQUALS, Lookup.AT_LEAST, Lookup.AT_MOST, Lookup.IS_SET]
    if kind == FieldKind.CHOICES:
        return [Lookup.CONTAINS, Lookup.IS_SET]
    return [Lookup.EQUALS, Lookup.IS_SET]


def filter_q(
    kind: str,
    key: str,
    lookup: str,
    raw: object,
    *,
    choices: Sequence[Choice] = (),
    vendor: str,
    column: str = "custom_fields",
) -> Q:
    """The condition "field ``key`` <lookup> ``raw``" on ``column``; ValidationError on bad input.

    On PostgreSQL an equality (and "contains" of several choices) is a jsonb containment
    (``@>``), which the column's GIN index answers; ranges and text search are a cast of
    the key, scanned within the rows the other filters left.
    """
    if lookup not in lookups_for(kind):
        raise ValidationError(_("This field cannot be filtered that way."))
    if lookup == Lookup.IS_SET:
        return Q(**{f"{column}__has_key": key})
    # Keys go into expressions, never into "column__key" lookup strings: a key such as
    # "contains" would otherwise be read as a lookup.
    if kind == FieldKind.TEXT:
        text = str(raw).strip()
        if lookup == Lookup.CONTAINS:
            return Q(IContains(_key_text(key, column), text))
        return Q(IExact(_key_text(key, column), text))
    if kind == FieldKind.CHOICES:
        picked = coerce(FieldKind.CHOICE, raw, choices)
        if vendor == "postgresql":
            return Q(**{f"{column}__contains": {key: [picked]}})
        # SQLite reads the list as JSON text: the quoted key is unambiguous within it.
        return Q(Contains(_key_text(key, column), f'"{picked}"'))
    value = coerce(kind, raw, choices)
    if lookup == Lookup.EQUALS and kind not in NUMERIC_KINDS:
        if vendor == "postgresql":
            return Q(**{f"{column}__contains": {key: value}})
        if kind == FieldKind.BOOLEAN:
            # A key's text is "true" or "false" for JSON booleans.
            return Q(Exact(_key_text(key, column), "true" if value else "false"))
        return Q(Exact(_key_text(key, column), value))
    if kind in NUMERIC_KINDS:
        number = Cast(
            KeyTextTransform(key, column),
            DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES),
        )
        condition = {"eq": Exact, "gte": GreaterThanOrEqual, "lte": LessThanOrEqual}[lookup]
        return Q(condition(number, Decimal(str(value))))
    # Dates: ISO text compares in date order.
    if lookup == Lookup.AT_LEAST:
        return Q(GreaterThanOrEqual(_key_text(key, column), value))
    return Q(LessThanOrEqual(_key_text(key, column), value))


def _key_text(key: str, column: str) -> Cast:
    # As plain text: a key transform's own lookups would read the right-hand side as JSON.
    return Cast(KeyTextTransform(key, column), TextField())
