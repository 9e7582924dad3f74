"""Picking a company or a contact on a form: search as you type, or a name typed and
resolved on submit, or a new record added on the spot.

The widget (``templates/contacts/_record_picker.html``, ``static/js/record-picker.js``) sends
two values: the chosen record's id (hidden) and the text in the box. Without JavaScript
only the text is typed, so the text decides whenever it is not the chosen record's name:

- an id of a record the user can see, and the box shows its name (or is empty): that record;
- else a name that exactly one visible record has (case-insensitively): that record;
- else a name no visible record has: a new record, which the caller creates with the
  contacts services (``create_company``/``create_contact``: their duplicate checks apply);
- else several records with that name: an error asking to pick one from the list.

Everything is read through ``visible_to(user)``: one query per picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Value
from django.db.models.functions import Concat, Lower, Trim
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact
from core.lists import search_q

Picked = TypeVar("Picked", Company, Contact)
# A search lists a few records: the widget is for picking, not browsing.
SEARCH_RESULTS = 8
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class Pick(Generic[Picked]):
    """What a picker resolved to: an existing ``record``, a ``new_name`` to create, or
    neither (left empty)."""

    record: Picked | None = None
    new_name: str = ""

    @property
    def is_empty(self) -> bool:
        return self.record is None and not self.new_name


def clean_text(text: object) -> str:
    """Typed text as a picker reads it: spaces collapsed, cut to the longest search."""
    return " ".join(str(text or "").split())[:SEARCH_MAX_LENGTH]


def parse_pk(value: object) -> int | None:
    """A record id sent by a form, or None when it is not a plausible one."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def search_companies(user: User, terms: str) -> list[Company]:
    """A few visible companies whose name or domain has every word of ``terms``."""
    terms = clean_text(terms)
    if not terms:
        return []
    return list(
        Company.objects.visible_to(user)
        .filter(search_q(terms, ("name", "domain")))
        .order_by("name", "pk")[:SEARCH_RESULTS]
    )


def search_contacts(user: User, terms: str, *, company_id: int | None = None) -> list[Contact]:
    """A few visible contacts matching every word of ``terms``, at ``company_id`` if given."""
    terms = clean_text(terms)
    if not terms:
        return []
    contacts = Contact.objects.visible_to(user).filter(
        search_q(terms, ("first_name", "last_name", "email", "company__name"))
    )
    if company_id is not None:
        contacts = contacts.filter(company_id=company_id)
    return list(
        contacts.select_related("company").order_by("last_name", "first_name", "pk")[
            :SEARCH_RESULTS
        ]
    )


def _resolve(
    visible: QuerySet, named: QuerySet, *, pk: object, text: str, unseen: str, several: str
) -> Pick:
    """``named`` is ``visible`` narrowed to the records called ``text``."""
    chosen = parse_pk(pk)
    if chosen is not None:
        record = visible.filter(pk=chosen).first()
        if record is not None and (not text or text.casefold() == str(record).casefold()):
            return Pick(record=record)
        if record is None and not text:
            raise ValidationError(unseen)
    if not text:
        return Pick()
    matches = list(named[:2])
    if len(matches) > 1:
        raise ValidationError(several % {"name": text})
    return Pick(record=matches[0]) if matches else Pick(new_name=text)


def resolve_company(user: User, *, pk: object, name: object) -> Pick[Company]:
    """The company a picker names (see the module's docstring); ValidationError if unclear."""
    text = clean_text(name)
    visible = Company.objects.visible_to(user)
    named = visible.annotate(name_key=Lower("name")).filter(name_key=text.casefold())
    return _resolve(
        visible,
        named.order_by("pk"),
        pk=pk,
        text=text,
        unseen=_("Choose a company you can see."),
        several=_("Several companies are called “%(name)s”: pick one from the list."),
    )


def resolve_contact(
    user: User, *, pk: object, name: object, company: Company | None = None
) -> Pick[Contact]:
    """The contact a picker names, at ``company`` when one is chosen (see the module's
    docstring); ValidationError if unclear."""
    text = clean_text(name)
    visible = Contact.objects.visible_to(user).select_related("company")
    full_name = Trim(Concat("first_name", Value(" "), "last_name"))
    named = visible.annotate(name_key=Lower(full_name)).filter(name_key=text.casefold())
    if company is not None:
        named = named.filter(company=company)
    return _resolve(
        visible,
        named.order_by("pk"),
        pk=pk,
        text=text,
        unseen=_("Choose a contact you can see."),
        several=_("Several contacts are called “%(name)s”: pick one from the list."),
    )


def split_name(name: str) -> tuple[str, str]:
    """A typed full name as (first name, last name): the last name is the rest after the
    first word, as people usually type "Ada Lovelace"."""
    first, _space, last = name.strip().partition(" ")
    return first, last.strip()
