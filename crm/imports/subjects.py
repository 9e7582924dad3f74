"""What an imported task or touchpoint is about: its deal, contact, lead or company.

Other CRMs name these records in their activity exports in their own ways, and the lookup
takes each the way real files give it:

- a deal by its external id or its title (Pipedrive's activities export names the deal by
  title; a title shared by several visible deals is a row error asking for the id);
- a contact by its external id, email or full name (Pipedrive's "Contact person" is a
  name; HubSpot writes associated contacts as "Name (email)", and the email wins);
- a lead by its external id or email;
- a company by its external id or name (``CompanyLookup``, as deals and contacts do);
- ``related``: a polymorphic id, the record of whichever kind holds it (Salesforce's
  WhatId names an opportunity or an account); ``related_person`` the same among contacts
  and leads (WhoId).

Everything is read through ``visible_to(by)``, a batch at a time: a few queries per batch
whatever its size, and memory bounded by the batch. A record the importer cannot see is
"not found", as on the pages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Value
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contacts.models import Company, Contact, Lead
from crm.imports.kinds import CleanRow
from crm.imports.lookups import CompanyLookup, text_key
from crm.imports.parsing import CellError
from pipeline.models import Opportunity

# "Jane Doe (jane@example.com)" or "Jane Doe <jane@example.com>": the address is the key.
_EMBEDDED_EMAIL = re.compile(r"[(<]\s*([^\s()<>]+@[^\s()<>]+)\s*[)>]\s*$")

# The import's subject fields and the model field each sets.
TARGETS = {"deal": "opportunity", "contact": "contact", "lead": "lead", "company": "company"}


def _email_in(value: str) -> str:
    match = _EMBEDDED_EMAIL.search(value)
    return match[1] if match else value


class SubjectError(CellError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class _Index:
    """One kind's records of the batch: by external id, and by a second key (title, email)."""

    def __init__(self) -> None:
        self.by_external_id: dict[str, int] = {}
        self.by_key: defaultdict[str, set[int]] = defaultdict(set)

    def clear(self) -> None:
        self.by_external_id.clear()
        self.by_key.clear()


class SubjectLookup:
    def __init__(self, by: User) -> None:
        self.by = by
        self.companies = CompanyLookup(by)
        self.deals = _Index()
        self.contacts = _Index()
        self.contact_names = _Index()
        self.leads = _Index()
        # External id -> company id, for polymorphic ids (CompanyLookup falls back to names).
        self.company_ids: dict[str, int] = {}

    def load(self, rows: Iterable[CleanRow]) -> None:
        """Look up what this batch's rows name, forgetting the previous batch's."""
        wanted: defaultdict[str, set[str]] = defaultdict(set)
        for row in rows:
            for name in (*TARGETS, "related", "related_person"):
                if name in row.values:
                    wanted[name].add(row.values[name])
        polymorphic = wanted["related"] | wanted["related_person"]
        self.companies.load(wanted["company"])
        self._load_deals(wanted["deal"], wanted["related"])
        self._load_contacts(wanted["contact"], polymorphic)
        self._load_leads(wanted["lead"], polymorphic)
        self.company_ids = {}
        if wanted["related"]:
            self.company_ids = dict(
                Company.objects.visible_to(self.by)
                .filter(external_id__any_of=wanted["related"])
                .exclude(external_id="")
                .values_list("external_id", "pk")
            )

    def _load_deals(self, values: set[str], ids: set[str]) -> None:
        self.deals.clear()
        if not values | ids:
            return
        visible = Opportunity.objects.visible_to(self.by)
        self.deals.by_external_id.update(
            visible.filter(external_id__any_of=values | ids)
            .exclude(external_id="")
            .values_list("external_id", "pk")
        )
        titles = {text_key(value) for value in values - self.deals.by_external_id.keys()}
        if titles:
            rows = (
                visible.annotate(title_key=Lower("title"))
                .filter(title_key__any_of=titles)
                .values_list("pk", "title_key")
            )
            for pk, title_key in rows:
                self.deals.by_key[text_key(title_key)].add(pk)

    def _load_contacts(self, values: set[str], ids: set[str]) -> None:
        self.contacts.clear()
        self.contact_names.clear()
        if not values | ids:
            return
        visible = Contact.objects.visible_to(self.by)
        self.contacts.by_external_id.update(
            visible.filter(external_id__any_of=values | ids)
            .exclude(external_id="")
            .values_list("external_id", "pk")
        )
        rest = values - self.contacts.by_external_id.keys()
        emails = {_email_in(value).casefold() for value in rest if "@" in value}
        names = {text_key(value) for value in rest if "@" not in value}
        if emails:
            # lower(email) is indexed (contact_email_ci_idx).
            for pk, email_key in (
                visible.annotate(email_key=Lower("email"))
                .filter(email_key__any_of=emails)
                .values_list("pk", "email_key")
            ):
                self.contacts.by_key[email_key].add(pk)
        if names:
            full_name = Lower(Concat("first_name", Value(" "), "last_name"))
            for pk, name_key in (
                visible.annotate(name_key=full_name)
                .filter(name_key__any_of=names)
                .values_list("pk", "name_key")
            ):
                self.contact_names.by_key[text_key(name_key)].add(pk)

    def _load_leads(self, values: set[str], ids: set[str]) -> None:
        self.leads.clear()
        if not values | ids:
            return
        visible = Lead.objects.visible_to(self.by)
        self.leads.by_external_id.update(
            visible.filter(external_id__any_of=values | ids)
            .exclude(external_id="")
            .values_list("external_id", "pk")
        )
        emails = {
            _email_in(value).casefold() for value in values - self.leads.by_external_id.keys()
        }
        if emails:
            for pk, email_key in (
                visible.annotate(email_key=Lower("email"))
                .filter(email_key__any_of=emails)
                .values_list("pk", "email_key")
            ):
                self.leads.by_key[email_key].add(pk)

    # Resolving one row

    def subjects(self, values: Mapping[str, Any]) -> tuple[dict[str, int], list[SubjectError]]:
        """Model field ("opportunity", "contact", "lead", "company") -> id, for the row's
        subject cells, and what is wrong with each cell that finds nothing (or too much)."""
        found: dict[str, int] = {}
        errors: list[SubjectError] = []
        direct: tuple[tuple[str, str, Callable[[str], int]], ...] = (
            ("deal", "opportunity", self._deal),
            ("contact", "contact", self._contact),
            ("lead", "lead", self._lead),
            ("company", "company", self._company),
        )
        for name, target, find in direct:
            if name in values:
                try:
                    found[target] = find(values[name])
                except SubjectError as error:
                    errors.append(error)
        for name, kinds in (
            ("related", ("opportunity", "company", "contact", "lead")),
            ("related_person", ("contact", "lead")),
        ):
            if name not in values:
                continue
            try:
                target, pk = self._polymorphic(name, values[name], kinds)
            except SubjectError as error:
                errors.append(error)
                continue
            if found.get(target, pk) != pk:
                errors.append(
                    SubjectError(
                        name,
                        _("“%(id)s” names another %(kind)s than the row's %(kind)s column.")
                        % {"id": values[name], "kind": KIND_NAMES[target]},
                    )
                )
                continue
            found[target] = pk
        return found, errors

    def _company(self, value: str) -> int:
        try:
            return self.companies.company_id(value)
        except CellError as error:
            raise SubjectError("company", str(error)) from None

    def _deal(self, value: str) -> int:
        if value in self.deals.by_external_id:
            return self.deals.by_external_id[value]
        matches = self.deals.by_key.get(text_key(value), set())
        if len(matches) > 1:
            raise SubjectError(
                "deal",
                _("%(count)s deals are titled “%(title)s”: give the deal's external id.")
                % {"count": len(matches), "title": value},
            )
        if not matches:
            raise SubjectError(
                "deal",
                _("No deal “%(title)s” that you can see: import the deals first, or check it.")
                % {"title": value},
            )
        return next(iter(matches))

    def _contact(self, value: str) -> int:
        if value in self.contacts.by_external_id:
            return self.contacts.by_external_id[value]
        if "@" in value:
            matches = self.contacts.by_key.get(_email_in(value).casefold(), set())
            what = _("the email")
        else:
            matches = self.contact_names.by_key.get(text_key(value), set())
            what = _("the name")
        if len(matches) > 1:
            raise SubjectError(
                "contact",
                _("%(count)s contacts have %(what)s “%(value)s”: give the contact's external id.")
                % {"count": len(matches), "what": what, "value": value},
            )
        if not matches:
            raise SubjectError(
                "contact",
                _(
                    "No contact “%(value)s” that you can see: import the contacts first, "
                    "or check it."
                )
                % {"value": value},
            )
        return next(iter(matches))

    def _lead(self, value: str) -> int:
        if value in self.leads.by_external_id:
            return self.leads.by_external_id[value]
        matches = self.leads.by_key.get(_email_in(value).casefold(), set())
        if len(matches) > 1:
            raise SubjectError(
                "lead",
                _("%(count)s leads have the email “%(value)s”: give the lead's external id.")
                % {"count": len(matches), "value": value},
            )
        if not matches:
            raise SubjectError(
                "lead",
                _("No lead “%(value)s” that you can see: import the leads first, or check it.")
                % {"value": value},
            )
        return next(iter(matches))

    def _polymorphic(self, field: str, value: str, kinds: tuple[str, ...]) -> tuple[str, int]:
        holders = {
            "opportunity": self.deals.by_external_id,
            "company": self.company_ids,
            "contact": self.contacts.by_external_id,
            "lead": self.leads.by_external_id,
        }
        found = [(kind, holders[kind][value]) for kind in kinds if value in holders[kind]]
        if len(found) > 1:
            raise SubjectError(
                field,
                _("The id “%(id)s” is held by a %(first)s and a %(second)s: map the column to one.")
                % {
                    "id": value,
                    "first": KIND_NAMES[found[0][0]],
                    "second": KIND_NAMES[found[1][0]],
                },
            )
        if not found:
            raise SubjectError(field, str(NOT_FOUND[field]) % {"id": value})
        return found[0]


KIND_NAMES = {
    "opportunity": gettext_lazy("deal"),
    "company": gettext_lazy("company"),
    "contact": gettext_lazy("contact"),
    "lead": gettext_lazy("lead"),
}
NOT_FOUND = {
    "related": gettext_lazy(
        "No deal, company, contact or lead with the external id “%(id)s” that you can see."
    ),
    "related_person": gettext_lazy(
        "No contact or lead with the external id “%(id)s” that you can see."
    ),
}
