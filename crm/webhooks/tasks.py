"""Celery tasks of the outgoing webhooks: one task per delivery, retried with backoff."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from crm.webhooks.delivery import attempt_delivery


@shared_task(
    bind=True,
    # WEBHOOK_MAX_ATTEMPTS bounds the attempts, read when each one runs.
    max_retries=None,
    acks_late=True,
    # A receiver gets WEBHOOK_TIMEOUT seconds per attempt; the limits only stop a stuck worker.
    soft_time_limit=60,
    time_limit=90,
)
def deliver_webhook(self: Task, delivery_id: int) -> str:
    """Send one delivery; retry network errors, 5xx and 429 answers, never other 4xx."""
    attempt = self.request.retries + 1
    outcome = attempt_delivery(
        delivery_id=delivery_id, attempt=attempt, is_last=attempt >= settings.WEBHOOK_MAX_ATTEMPTS
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status
