"""Converting a qualified lead into a company, a contact and a deal, in one step.

The lead's history comes along: its touchpoints and tasks are linked to the new contact and
deal (they stay linked to the lead too, so the lead page still tells its story), and the
deal's last touch is the lead's latest touchpoint, so a deal born from a long conversation
does not look untouched on the board.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact, Lead, LeadPolicy, LeadStatus
from contacts.services.duplicates import normalise_domain
from pipeline.models import Opportunity, Pipeline, Task, Touchpoint
from pipeline.services.opportunities import create_opportunity


def _convertible_lead(by: User, lead_id: int) -> Lead:
    """The lead, locked so that two clicks on "Convert" make one deal."""
    lead = Lead.objects.visible_to(by).select_for_update(of=("self",)).get(pk=lead_id)
    if not Lead.objects.editable_by(by).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You may not convert this lead."))
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has already been converted."))
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationError(_("This lead was disqualified; it cannot be converted."))
    threshold = LeadPolicy.current().qualification_threshold
    if lead.score < threshold:
        raise ValidationError(
            _(
                "This lead scores %(score)d; it needs %(threshold)d to be converted. "
                "Answer its qualification criteria first."
            )
            % {"score": lead.score, "threshold": threshold}
        )
    return lead


def _company_for(by: User, lead: Lead, owner: User, company_id: int | None) -> Company:
    """The chosen company, else a visible one with the lead's domain, else a new one."""
    if company_id is not None:
        try:
            return Company.objects.visible_to(by).get(pk=company_id)
        except Company.DoesNotExist:
            raise ValidationError({"company": _("Choose a company you can see.")}) from None
    domain = normalise_domain(lead.company_domain)
    if domain:
        same_domain = Company.objects.visible_to(by).filter(domain=domain)
        existing = same_domain.order_by("created_at", "pk").first()
        if existing is not None:
            return existing
    name = lead.company_name or domain or str(lead)
    company = Company(
        name=name, domain=domain, country=lead.country, region=lead.region, owner=owner
    )
    company.full_clean(exclude=["owner"])
    company.save()
    return company


def _contact_for(lead: Lead, company: Company, owner: User) -> Contact:
    """The company's contact with the lead's email, else a new contact made from the lead."""
    if lead.email:
        # Any contact, visible or not: email is unique per company whoever owns the row.
        existing = Contact.objects.filter(company=company, email__iexact=lead.email).first()
        if existing is not None:
            return existing
    contact = Contact(
        company=company,
        # A contact needs a first name; a lead may have only a last one.
        first_name=lead.first_name or lead.last_name,
        last_name=lead.last_name if lead.first_name else "",
        email=lead.email,
        phone=lead.phone,
        job_title=lead.job_title,
        owner=owner,
    )
    contact.full_clean(exclude=["company", "owner"])
    contact.save()
    return contact


@transaction.atomic
def convert_lead(
    *,
    by: User,
    lead_id: int,
    pipeline_id: int,
    title: str,
    value: Decimal,
    currency: str,
    expected_close_date: dt.date | None = None,
    company_id: int | None = None,
) -> Opportunity:
    """Turn a lead that reached the qualifying score into a company, a contact and a deal.

    The deal starts in the first open stage of the pipeline, owned by the lead's owner (or
    ``by`` for a lead from the queue). The company is ``company_id`` if given (it must be
    visible), else a visible company with the lead's domain, else a new one named after the
    lead's company. Raises Lead.DoesNotExist for an invisible lead, PermissionDenied for
    one ``by`` may not change, and ValidationError when the lead is below the threshold,
    already converted or disqualified, or an input is bad. Nothing is written on failure.
    """
    lead = _convertible_lead(by, lead_id)
    try:
        pipeline = Pipeline.objects.get(pk=pipeline_id)
    except Pipeline.DoesNotExist:
        raise ValidationError({"pipeline": _("Choose a pipeline.")}) from None
    owner = lead.owner if lead.owner is not None and lead.owner.is_active else by
    company = _company_for(by, lead, owner, company_id)
    contact = _contact_for(lead, company, owner)
    opportunity = create_opportunity(
        by=by,
        title=title,
        company=company,
        pipeline=pipeline,
        value=value,
        currency=currency,
        owner=owner,
        expected_close_date=expected_close_date,
        contact=contact,
        lead=lead,
    )

    Touchpoint.objects.filter(lead=lead).update(contact=contact, opportunity=opportunity)
    Task.objects.filter(lead=lead).update(contact=contact, opportunity=opportunity)
    last_touch = Touchpoint.objects.filter(lead=lead).aggregate(last=Max("at"))["last"]
    if last_touch is not None:
        Opportunity.objects.filter(pk=opportunity.pk).update(last_touch_at=last_touch)
        opportunity.last_touch_at = last_touch

    lead.status = LeadStatus.CONVERTED
    lead.converted_company = company
    lead.converted_contact = contact
    lead.converted_at = timezone.now()
    lead.save(
        update_fields=[
            "status",
            "converted_company",
            "converted_contact",
            "converted_at",
            "updated_at",
        ]
    )
    return opportunity
