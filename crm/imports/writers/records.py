"""Companies, contacts and leads: the records deals and activities refer to."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact, Lead, LeadSource
from contacts.services import lead_owners
from contacts.services.companies import TEXT_FIELDS as COMPANY_TEXT_FIELDS
from contacts.services.duplicates import FREE_MAIL_DOMAINS, duplicate_keys
from contacts.services.leads import LEAD_DETAILS
from contacts.services.people import TEXT_FIELDS as CONTACT_TEXT_FIELDS
from crm.imports.kinds import CleanRow
from crm.imports.lookups import CompanyLookup
from crm.imports.models import ImportKind
from crm.imports.writers.base import BatchPlan, Planned, Writer
from crm.imports.writers.moments import set_created_at


class CompanyWriter(Writer):
    model = Company
    kind = ImportKind.COMPANIES
    plain_fields = (*COMPANY_TEXT_FIELDS, "created_at")

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        set_created_at(planned.record, values, self.now)


class ContactWriter(Writer):
    model = Contact
    kind = ImportKind.CONTACTS
    plain_fields = (*CONTACT_TEXT_FIELDS, "created_at")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.companies = CompanyLookup(self.by)

    def load(self, rows: list[CleanRow]) -> None:
        self.companies.load(row.values["company"] for row in rows if "company" in row.values)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        set_created_at(planned.record, values, self.now)
        if "company" in values:
            planned.record.company_id = self._resolve(
                "company", self.companies.company_id, values["company"]
            )

    def update_fields(self) -> list[str]:
        names = super().update_fields()
        return [*names, "company"] if "company" in self.mapped else names

    def check_batch(self, plan: BatchPlan) -> None:
        # The database's unique (lower(email), company) constraint, as row rejections.
        with_email = [planned for planned in plan.accepted if planned.record.email]
        if not with_email:
            return
        taken = {
            (company_id, email_key): pk
            for pk, company_id, email_key in Contact.objects.annotate(email_key=Lower("email"))
            .filter(
                company_id__in={planned.record.company_id for planned in with_email},
                email_key__any_of={planned.record.email.lower() for planned in with_email},
            )
            .values_list("pk", "company_id", "email_key")
        }
        plan.reject_taken(
            with_email,
            key=lambda planned: (planned.record.company_id, planned.record.email.lower()),
            holders=taken,
            field_name="email",
            message=lambda planned: (
                _("This company already has a contact with the email %(email)s.")
                % {"email": planned.record.email}
            ),
        )


class LeadWriter(Writer):
    model = Lead
    kind = ImportKind.LEADS
    # The owner is looked up by username, like every kind's.
    plain_fields = (*(name for name in LEAD_DETAILS if name != "owner"), "created_at", "status")

    @classmethod
    def owner_candidates(cls, by: User) -> QuerySet[User]:
        # The lead pages' rule: a rep may also give leads to their teammates.
        return lead_owners(by)

    def new_record(self) -> Lead:
        return Lead(created_at=self.now, source=LeadSource.IMPORT)

    def apply(self, planned: Planned, values: dict[str, Any]) -> None:
        lead: Lead = planned.record
        set_created_at(lead, values, self.now)
        if planned.is_new and not lead.company_domain:
            # As the lead pages do: a business address says which company the lead is with.
            lead.company_domain = duplicate_keys(email=lead.email, company_domain="")[1]

    def after_write(self, plan: BatchPlan) -> None:
        """Flag each new lead matching an earlier one, by the lead pages' rule.

        The rule (contacts.services.duplicates): the same email, case-insensitive, or the
        same company domain, free-mail domains aside. The lead is created all the same,
        pointing at the oldest match through ``duplicate_of``, for a person to merge or
        clear; rows earlier in the file count as earlier leads. One UPDATE per batch.
        """
        new_ids = [
            planned.record.pk
            for planned in plan.accepted
            if planned.is_new and (planned.record.email or planned.record.company_domain)
        ]
        if not new_ids:
            return
        same_email = Q(email_key=Lower(OuterRef("email"))) & ~Q(email="")
        same_domain = (
            Q(company_domain=OuterRef("company_domain"))
            & ~Q(company_domain="")
            & ~Q(company_domain__in=FREE_MAIL_DOMAINS)
        )
        earlier = Q(created_at__lt=OuterRef("created_at")) | Q(
            created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")
        )
        oldest = (
            Lead.objects.annotate(email_key=Lower("email"))
            .filter(same_email | same_domain)
            .filter(earlier)
            .order_by("created_at", "pk")
            .values("pk")[:1]
        )
        Lead.objects.filter(pk__in=new_ids).update(duplicate_of=Subquery(oldest))
