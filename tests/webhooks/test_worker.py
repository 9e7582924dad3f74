"""A delivery through the real Redis broker and a real Celery worker, to a real receiver."""

import hashlib
import hmac
import time

# Registers the `celery.ping` task that start_worker's readiness check sends.
import celery.contrib.testing.tasks  # noqa: F401
import pytest
from celery.contrib.testing.worker import start_worker

from crm.celery import app
from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from crm.webhooks.services import record_event
from tests.webhooks.conftest import make_webhook


@pytest.mark.services
@pytest.mark.usefixtures("private_hosts_allowed")
def test_worker_delivers_a_recorded_event_through_redis(settings, transactional_db, receiver):
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    webhook = make_webhook(receiver.url, events=[WebhookEvent.DEAL_WON])
    receiver.answer_with(503)  # the first attempt fails: the retry goes through Redis too

    # Given a worker in a thread of this process, consuming from Redis
    with start_worker(app, perform_ping_check=True, shutdown_timeout=30):
        # When an event is recorded and its transaction commits
        (delivery,) = record_event(event=WebhookEvent.DEAL_WON, data={"deal": {"id": 1}})

        # Then the worker sends it, retries once, and records the outcome
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivery.refresh_from_db()
            if delivery.status != DeliveryStatus.PENDING:
                break
            time.sleep(0.2)

    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert len(receiver.requests) == 2
    last = receiver.requests[-1]
    signed = last.headers["X-Pipeline-Timestamp"].encode() + b"." + last.body
    expected = hmac.new(webhook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert last.headers["X-Pipeline-Signature"] == f"sha256={expected}"
    assert WebhookDelivery.objects.count() == 1
