"""Merging two companies, contacts or leads carries pipeline's rows along.

Contacts merges the records (``contacts.services``) but cannot know pipeline, so these
handlers are registered into its merge extension point (``contacts.extensions``) by
``PipelineConfig.ready()``. Each runs inside the merge's transaction, with both records
locked and before the merged one is deleted: one UPDATE per relation, whatever the number of
rows, so the merge is all or nothing. Deals get a new ``updated_at`` when their company or
contact changes, which API syncs poll for (open boards hear of every UPDATE of a deal).
"""

from __future__ import annotations

from django.db.models import Model
from django.utils import timezone

from contacts.extensions import register_merge_handler
from contacts.models import Company, Contact, Lead
from pipeline.models import DealContact, Opportunity, Task, Touchpoint


def move_company_deals(*, model: type[Model], merged_id: int, kept_id: int) -> None:
    """The merged company's deals, and its own touchpoints and tasks, belong to the kept
    company."""
    Opportunity.objects.filter(company_id=merged_id).update(
        company_id=kept_id, updated_at=timezone.now()
    )
    Touchpoint.objects.filter(company_id=merged_id).update(company_id=kept_id)
    Task.objects.filter(company_id=merged_id).update(company_id=kept_id)


def move_contact_activity(*, model: type[Model], merged_id: int, kept_id: int) -> None:
    """The merged contact's deals, touchpoints, tasks and buying-team places are the kept
    contact's."""
    Opportunity.objects.filter(contact_id=merged_id).update(
        contact_id=kept_id, updated_at=timezone.now()
    )
    Touchpoint.objects.filter(contact_id=merged_id).update(contact_id=kept_id)
    Task.objects.filter(contact_id=merged_id).update(contact_id=kept_id)
    _move_buying_team(merged_id=merged_id, kept_id=kept_id)


def _move_buying_team(*, merged_id: int, kept_id: int) -> None:
    """Where both people are on one deal's team, the kept one's place stays (primary if
    either was); elsewhere the merged one's place becomes the kept one's."""
    on_both = DealContact.objects.filter(
        contact_id=merged_id,
        opportunity_id__in=DealContact.objects.filter(contact_id=kept_id).values("opportunity_id"),
    )
    primary_on = list(on_both.filter(is_primary=True).values_list("opportunity_id", flat=True))
    # Deleted first: a deal has one primary member and a person once on its team.
    on_both.delete()
    if primary_on:
        DealContact.objects.filter(contact_id=kept_id, opportunity_id__in=primary_on).update(
            is_primary=True
        )
    DealContact.objects.filter(contact_id=merged_id).update(contact_id=kept_id)


def move_lead_activity(*, model: type[Model], merged_id: int, kept_id: int) -> None:
    """The merged lead's touchpoints, tasks and deals are the kept lead's history."""
    Touchpoint.objects.filter(lead_id=merged_id).update(lead_id=kept_id)
    Task.objects.filter(lead_id=merged_id).update(lead_id=kept_id)
    Opportunity.objects.filter(lead_id=merged_id).update(lead_id=kept_id)


def register() -> None:
    """Fill contacts' merge extension point; ``PipelineConfig.ready()`` calls this."""
    register_merge_handler(Company, handler=move_company_deals)
    register_merge_handler(Contact, handler=move_contact_activity)
    register_merge_handler(Lead, handler=move_lead_activity)
