"""Admins configure webhooks; URLs are checked so that a webhook cannot reach the inside."""

import socket

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from crm.webhooks.services import (
    create_webhook,
    redeliver,
    rotate_webhook_secret,
    send_ping,
    update_webhook,
)
from crm.webhooks.targets import TargetRefused, resolve
from tests.webhooks.conftest import make_webhook

EVENTS = [WebhookEvent.DEAL_WON, WebhookEvent.DEAL_MOVED]


def test_admin_adds_a_webhook_with_a_fresh_secret(ada):
    webhook = create_webhook(url=" https://hooks.example.com/crm ", events=EVENTS, by=ada)
    other = create_webhook(url="https://hooks.example.com/other", events=EVENTS, by=ada)

    assert webhook.url == "https://hooks.example.com/crm"
    # Kept in the order of the choices, whatever order the form sent.
    assert webhook.events == ["deal.moved", "deal.won"]
    assert webhook.created_by == ada
    assert len(webhook.secret) >= 40
    assert webhook.secret != other.secret


@pytest.mark.parametrize("user", ["alice", "maria"])
def test_only_admins_manage_webhooks(request, user):
    with pytest.raises(PermissionDenied):
        create_webhook(
            url="https://hooks.example.com/", events=EVENTS, by=request.getfixturevalue(user)
        )

    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("url", "events", "field", "message"),
    [
        ("", EVENTS, "url", "Enter the URL"),
        ("ftp://files.example.com/in", EVENTS, "url", "http:// or https://"),
        ("file:///etc/passwd", EVENTS, "url", "http:// or https://"),
        ("https://user:secret@hooks.example.com/", EVENTS, "url", "credentials"),
        ("https:///no-host", EVENTS, "url", "host name"),
        ("https://hooks.example.com:99999/", EVENTS, "url", "port"),
        ("http://127.0.0.1:8000/", EVENTS, "url", "private network"),
        ("http://10.0.0.5/", EVENTS, "url", "private network"),
        ("http://169.254.169.254/latest/meta-data/", EVENTS, "url", "private network"),
        ("http://[::1]/", EVENTS, "url", "private network"),
        ("http://localhost:6379/", EVENTS, "url", "own network"),
        ("https://hooks.example.com/", [], "events", "at least one"),
        ("https://hooks.example.com/", ["deal.deleted"], "events", "deal.deleted"),
        ("https://hooks.example.com/", ["ping"], "events", "ping"),
    ],
)
def test_bad_input_names_the_field(ada, url, events, field, message):
    with pytest.raises(ValidationError) as error:
        create_webhook(url=url, events=events, by=ada)

    assert list(error.value.error_dict) == [field]
    assert message in " ".join(error.value.messages)
    assert not Webhook.objects.exists()


def test_private_hosts_are_accepted_when_allowed(ada, private_hosts_allowed):
    webhook = create_webhook(url="http://127.0.0.1:8000/hooks", events=EVENTS, by=ada)

    assert webhook.url == "http://127.0.0.1:8000/hooks"


def test_a_name_resolving_to_a_private_address_is_refused_when_sent(settings, monkeypatch):
    # A public-looking name whose DNS answer now points inside.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answer)

    with pytest.raises(TargetRefused, match="private network") as refusal:
        resolve("https://hooks.example.com/crm")

    assert not refusal.value.is_transient


def test_a_name_that_does_not_resolve_may_resolve_later(settings):
    with pytest.raises(TargetRefused, match="Cannot resolve") as refusal:
        resolve("https://no-such-host.invalid/")

    assert refusal.value.is_transient


def test_resolve_keeps_path_and_query(private_hosts_allowed):
    target = resolve("http://127.0.0.1:8123/hooks/crm?team=north")

    assert (target.host, target.port, target.address) == ("127.0.0.1", 8123, "127.0.0.1")
    assert target.path == "/hooks/crm?team=north"


def test_update_changes_url_events_and_state(ada):
    webhook = make_webhook("https://hooks.example.com/")

    update_webhook(
        webhook=webhook,
        url="https://hooks.example.com/v2",
        events=[WebhookEvent.LEAD_CREATED],
        description="Marketing automation",
        is_active=False,
        by=ada,
    )

    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.is_active) == (
        "https://hooks.example.com/v2",
        ["lead.created"],
        False,
    )
    assert webhook.description == "Marketing automation"


def test_rotating_the_secret_replaces_it(ada):
    webhook = make_webhook("https://hooks.example.com/")
    old = webhook.secret

    rotate_webhook_secret(webhook=webhook, by=ada)

    webhook.refresh_from_db()
    assert webhook.secret != old


def test_ping_goes_to_celery_after_commit(ada, enqueued, django_capture_on_commit_callbacks):
    webhook = make_webhook("https://hooks.example.com/", events=[WebhookEvent.DEAL_WON])

    with django_capture_on_commit_callbacks(execute=True):
        delivery = send_ping(webhook=webhook, by=ada)

    assert delivery.event == WebhookEvent.PING
    assert enqueued == [delivery.pk]


def test_a_failed_delivery_is_sent_again(ada, enqueued, django_capture_on_commit_callbacks):
    webhook = make_webhook("https://hooks.example.com/")
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event=WebhookEvent.DEAL_WON,
        payload={},
        status=DeliveryStatus.FAILED,
        attempts=6,
        error="Gave up",
    )

    with django_capture_on_commit_callbacks(execute=True):
        redeliver(delivery=delivery, by=ada)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.error, delivery.attempts) == (DeliveryStatus.PENDING, "", 6)
    assert enqueued == [delivery.pk]


@pytest.mark.parametrize("status", [DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED])
def test_only_failed_deliveries_are_sent_again(ada, enqueued, status):
    webhook = make_webhook("https://hooks.example.com/")
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=WebhookEvent.DEAL_WON, payload={}, status=status
    )

    with pytest.raises(ValidationError):
        redeliver(delivery=delivery, by=ada)

    assert enqueued == []
