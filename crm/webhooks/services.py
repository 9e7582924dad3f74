"""Writes of the outgoing webhooks: admins' configuration, and recording events to send.

Every delivery is a row first and a Celery task second, enqueued only once the row is
committed: a worker never looks for a delivery that is not there yet, and a rolled-back
change sends nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.webhooks.models import (
    SUBSCRIBABLE_EVENTS,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    new_secret,
)
from crm.webhooks.targets import check_url
from crm.webhooks.tasks import deliver_webhook

URL_MAX_LENGTH = Webhook._meta.get_field("url").max_length or 500


def _require_admin(by: User) -> None:
    if not (by.is_active and by.is_admin):
        raise PermissionDenied(_("Only admins manage webhooks."))


def _clean(url: str, events: list[str]) -> tuple[str, list[str]]:
    url = url.strip()
    if not url:
        raise ValidationError({"url": _("Enter the URL to deliver events to.")})
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError(
            {"url": _("Use at most %(count)d characters.") % {"count": URL_MAX_LENGTH}}
        )
    check_url(url)
    unknown = sorted(set(events) - set(SUBSCRIBABLE_EVENTS))
    if unknown:
        raise ValidationError(
            {"events": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}}
        )
    if not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    # Stored in the order of the choices, so that equal subscriptions compare equal.
    return url, [event for event in SUBSCRIBABLE_EVENTS if event in events]


def _enqueue(delivery_ids: list[int]) -> None:
    def send() -> None:
        for delivery_id in delivery_ids:
            deliver_webhook.delay(delivery_id)

    transaction.on_commit(send)


@transaction.atomic
def create_webhook(
    *, url: str, events: list[str], description: str = "", is_active: bool = True, by: User
) -> Webhook:
    _require_admin(by)
    url, events = _clean(url, events)
    return Webhook.objects.create(
        url=url,
        events=events,
        description=description.strip(),
        is_active=is_active,
        created_by=by,
    )


@transaction.atomic
def update_webhook(
    *,
    webhook: Webhook,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool,
    by: User,
) -> Webhook:
    _require_admin(by)
    webhook.url, webhook.events = _clean(url, events)
    webhook.description = description.strip()
    webhook.is_active = is_active
    webhook.save(update_fields=["url", "events", "description", "is_active"])
    return webhook


@transaction.atomic
def rotate_webhook_secret(*, webhook: Webhook, by: User) -> Webhook:
    """A new signing secret, used from the next attempt on (retries of earlier ones too)."""
    _require_admin(by)
    webhook.secret = new_secret()
    webhook.save(update_fields=["secret"])
    return webhook


@transaction.atomic
def delete_webhook(*, webhook: Webhook, by: User) -> None:
    _require_admin(by)
    webhook.delete()


@transaction.atomic
def send_ping(*, webhook: Webhook, by: User) -> WebhookDelivery:
    """Send a test event to one webhook, active or not, whatever it subscribes to."""
    _require_admin(by)
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=WebhookEvent.PING,
        payload=payload_for(
            WebhookEvent.PING,
            {"webhook": {"id": webhook.pk}, "by": {"id": by.pk, "username": by.username}},
        ),
    )
    _enqueue([delivery.pk])
    return delivery


@transaction.atomic
def redeliver(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a failed delivery again, as it was (same id and payload, new signature)."""
    _require_admin(by)
    reset = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, error="", next_attempt_at=timezone.now()
    )
    if not reset:
        raise ValidationError(_("Only a failed delivery can be sent again."))
    _enqueue([delivery.pk])
    delivery.refresh_from_db()
    return delivery


def payload_for(
    event: str, data: dict[str, Any], occurred_at: dt.datetime | None = None
) -> dict[str, Any]:
    occurred_at = occurred_at or timezone.now()
    return {"event": str(event), "occurred_at": occurred_at.isoformat(), "data": data}


def record_event(
    *, event: str, data: dict[str, Any], occurred_at: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """A delivery for every active webhook subscribed to ``event``, sent after commit.

    ``data`` must be JSON-ready (money as strings). One query finds the webhooks; when
    none subscribes, that is all an event costs.
    """
    webhooks = [webhook for webhook in Webhook.objects.active() if webhook.subscribes_to(event)]
    if not webhooks:
        return []
    payload = payload_for(event, data, occurred_at)
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(webhook=webhook, event=event, payload=payload) for webhook in webhooks
        )
        _enqueue([delivery.pk for delivery in deliveries])
    return deliveries
