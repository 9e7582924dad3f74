"""Domain signals turned into webhook deliveries.

The pipeline and contacts apps send their signals after the change has committed; the
receivers here describe the change as JSON (ids, names, money as strings, times in UTC ISO
8601) and record a delivery per subscribed webhook. They run outside the request's
transaction, so a failure here can never undo the deal move or the lead that caused it.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from contacts.models import Lead
from crm.webhooks.models import WebhookEvent
from crm.webhooks.services import record_event
from pipeline.models import Opportunity, Stage


def _user(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def _stage(stage: Stage) -> dict[str, Any]:
    return {
        "id": stage.pk,
        "name": stage.name,
        "kind": stage.kind,
        "probability": stage.probability,
    }


def _deal(opportunity: Opportunity) -> dict[str, Any]:
    return {
        "id": opportunity.pk,
        "title": opportunity.title,
        "status": opportunity.status,
        "value": str(opportunity.value) if opportunity.value is not None else None,
        "currency": opportunity.currency,
        "expected_close_date": (
            opportunity.expected_close_date.isoformat() if opportunity.expected_close_date else None
        ),
        "pipeline_id": opportunity.pipeline_id,
        "stage_id": opportunity.stage_id,
        "company_id": opportunity.company_id,
        "contact_id": opportunity.contact_id,
        "owner_id": opportunity.owner_id,
        "lost_reason": opportunity.lost_reason,
    }


def on_opportunity_moved(
    sender: type,
    *,
    opportunity: Opportunity,
    from_stage: Stage,
    to_stage: Stage,
    by: User,
    **_: Any,
) -> None:
    record_event(
        event=WebhookEvent.DEAL_MOVED,
        data={
            "deal": _deal(opportunity),
            "from_stage": _stage(from_stage),
            "to_stage": _stage(to_stage),
            "by": _user(by),
        },
    )


def on_opportunity_won(sender: type, *, opportunity: Opportunity, by: User, **_: Any) -> None:
    record_event(event=WebhookEvent.DEAL_WON, data={"deal": _deal(opportunity), "by": _user(by)})


def on_opportunity_lost(sender: type, *, opportunity: Opportunity, by: User, **_: Any) -> None:
    record_event(event=WebhookEvent.DEAL_LOST, data={"deal": _deal(opportunity), "by": _user(by)})


def on_lead_created(sender: type, *, lead: Lead, by: User | None, **_: Any) -> None:
    record_event(
        event=WebhookEvent.LEAD_CREATED,
        data={
            "lead": {
                "id": lead.pk,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "company_name": lead.company_name,
                "source": lead.source,
                "status": lead.status,
                "owner_id": lead.owner_id,
                "created_at": lead.created_at.isoformat(),
            },
            "by": _user(by),
        },
        occurred_at=lead.created_at,
    )
