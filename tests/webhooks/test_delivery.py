"""Deliveries reach a real HTTP receiver on 127.0.0.1, signed, and are retried sensibly.

The Celery task runs eagerly here: retries follow at once instead of after their backoff.
"""

import hashlib
import hmac
import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from crm.webhooks.delivery import backoff
from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from crm.webhooks.services import record_event, send_ping
from crm.webhooks.tasks import deliver_webhook
from tests.webhooks.conftest import make_webhook

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("private_hosts_allowed", "eager_tasks"),
]

DATA = {"deal": {"id": 7, "title": "Renewal", "value": "1200.50"}}


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(event=WebhookEvent.DEAL_WON, data=DATA):
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = record_event(event=event, data=data)
        return [WebhookDelivery.objects.get(pk=delivery.pk) for delivery in deliveries]

    return run


def test_receiver_gets_the_event_signed_with_the_webhook_secret(receiver, run_on_commit):
    webhook = make_webhook(receiver.url)

    (delivery,) = run_on_commit()

    (request,) = receiver.requests
    timestamp = request.headers["X-Pipeline-Timestamp"]
    signed = timestamp.encode() + b"." + request.body
    expected = hmac.new(webhook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert request.path == "/hooks/crm"
    assert request.headers["X-Pipeline-Signature"] == f"sha256={expected}"
    assert request.headers["X-Pipeline-Event"] == "deal.won"
    assert request.headers["X-Pipeline-Delivery"] == str(delivery.pk)
    assert abs(int(timestamp) - time.time()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "PipelineCRM-Webhooks/1"
    body = json.loads(request.body)
    assert body["event"] == "deal.won"
    assert body["data"] == DATA
    assert body["occurred_at"].endswith("+00:00")
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.response_status_code) == (1, 200)
    assert delivery.response_body == '{"received": true}'
    assert delivery.delivered_at is not None


def test_a_signature_made_with_another_secret_does_not_match(receiver, run_on_commit):
    make_webhook(receiver.url)

    run_on_commit()

    (request,) = receiver.requests
    signed = request.headers["X-Pipeline-Timestamp"].encode() + b"." + request.body
    forged = hmac.new(b"not-the-secret", signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Pipeline-Signature"] != f"sha256={forged}"


def test_the_signature_covers_the_timestamp_not_the_body_alone(receiver, run_on_commit):
    webhook = make_webhook(receiver.url)

    run_on_commit()

    (request,) = receiver.requests
    body_only = hmac.new(webhook.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Pipeline-Signature"] != f"sha256={body_only}"


def readme_is_genuine():
    """The receiver check that the README shows integrators, as they would paste it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (snippet,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
        if "def is_genuine" in block
    ]
    namespace: dict = {}
    exec(textwrap.dedent(snippet), namespace)
    return namespace["is_genuine"]


def test_the_readme_receiver_accepts_a_fresh_delivery_and_refuses_a_replay(
    receiver, run_on_commit, monkeypatch
):
    is_genuine = readme_is_genuine()
    webhook = make_webhook(receiver.url)
    run_on_commit()
    (request,) = receiver.requests
    timestamp = request.headers["X-Pipeline-Timestamp"]
    signature = request.headers["X-Pipeline-Signature"]

    # Fresh and untouched: genuine.
    assert is_genuine(request.body, timestamp, signature, webhook.secret)
    # Another body, another secret, or a fresh timestamp on the old signature: refused.
    assert not is_genuine(request.body + b" ", timestamp, signature, webhook.secret)
    assert not is_genuine(request.body, timestamp, signature, "not-the-secret")
    fresh = str(int(timestamp) + 400)
    assert not is_genuine(request.body, fresh, signature, webhook.secret)
    # The same request replayed six minutes later: refused.
    later = int(timestamp) + 6 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert not is_genuine(request.body, timestamp, signature, webhook.secret)


def test_server_errors_are_retried_until_the_receiver_answers(receiver, run_on_commit):
    make_webhook(receiver.url)
    receiver.answer_with(500, 503)

    (delivery,) = run_on_commit()

    assert len(receiver.requests) == 3
    # The same delivery, byte for byte, each time.
    assert len({request.body for request in receiver.requests}) == 1
    assert {request.headers["X-Pipeline-Delivery"] for request in receiver.requests} == {
        str(delivery.pk)
    }
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 3)
    assert delivery.error == ""


def test_too_many_requests_is_retried(receiver, run_on_commit):
    make_webhook(receiver.url)
    receiver.answer_with(429)

    (delivery,) = run_on_commit()

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_client_errors_fail_at_once(receiver, run_on_commit, status):
    make_webhook(receiver.url)
    receiver.answer_with(status)

    (delivery,) = run_on_commit()

    assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.response_status_code) == (1, status)
    assert delivery.response_body == "receiver says no"


def test_delivery_gives_up_after_the_last_attempt(settings, receiver, run_on_commit):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    make_webhook(receiver.url)
    receiver.answer_with(500, 500, 500, 500)

    (delivery,) = run_on_commit()

    assert len(receiver.requests) == 3
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.response_status_code == 500
    assert delivery.next_attempt_at is None


def test_unreachable_receiver_is_recorded_and_retried(settings, receiver, run_on_commit):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    make_webhook("http://127.0.0.1:9/nobody-listens")

    (delivery,) = run_on_commit()

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert delivery.response_status_code is None
    assert "ConnectionRefusedError" in delivery.error


def test_redirects_are_not_followed(receiver, run_on_commit):
    make_webhook(receiver.url)
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    receiver.answer_with(302)

    (delivery,) = run_on_commit()

    assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.FAILED
    assert "redirect" in delivery.error


def test_private_addresses_are_refused_outside_development(settings, receiver, run_on_commit):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    make_webhook(receiver.url)

    (delivery,) = run_on_commit()

    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "private network" in delivery.error


def test_a_delivery_of_a_since_deactivated_webhook_is_not_sent(
    receiver, enqueued, django_capture_on_commit_callbacks
):
    webhook = make_webhook(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = record_event(event=WebhookEvent.DEAL_WON, data=DATA)
    webhook.is_active = False
    webhook.save(update_fields=["is_active"])

    deliver_webhook.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "deactivated" in delivery.error


def test_a_succeeded_delivery_is_never_sent_twice(receiver, run_on_commit):
    make_webhook(receiver.url)
    (delivery,) = run_on_commit()

    deliver_webhook.apply(args=[delivery.pk])

    assert len(receiver.requests) == 1


def test_ping_reaches_an_inactive_webhook(receiver, ada, django_capture_on_commit_callbacks):
    webhook = make_webhook(receiver.url, events=[WebhookEvent.LEAD_CREATED], is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = send_ping(webhook=webhook, by=ada)

    (request,) = receiver.requests
    assert request.headers["X-Pipeline-Event"] == "ping"
    assert json.loads(request.body)["data"]["by"]["username"] == "ada"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_backoff_grows_exponentially_up_to_six_hours():
    waits = [backoff(attempt) for attempt in range(1, 9)]

    assert waits[:5] == [30, 120, 480, 1920, 7680]
    assert waits[-1] == 6 * 60 * 60
    assert waits == sorted(waits)


def test_a_delivery_deleted_with_its_webhook_is_skipped(receiver, enqueued):
    webhook = make_webhook(receiver.url)
    (delivery,) = record_event(event=WebhookEvent.DEAL_WON, data=DATA)
    webhook.delete()

    result = deliver_webhook.apply(args=[delivery.pk])

    assert result.get() == "deleted"
    assert receiver.requests == []
