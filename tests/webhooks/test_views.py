"""The webhook settings pages: admins only, plain forms with htmx fragments, fixed queries."""

import pytest
from django.urls import reverse

from crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from tests.crm.test_pages import INLINE_CODE
from tests.webhooks.conftest import make_webhook

HTMX = {"HX-Request": "true"}
# Session, user, the webhooks with their delivery counts (one aggregate query).
LIST_QUERIES = 3
# Session, user, the webhook, the deliveries' count and page.
DETAIL_QUERIES = 5


@pytest.fixture
def webhook(db):
    return make_webhook("https://hooks.example.com/crm", events=[WebhookEvent.DEAL_WON])


@pytest.fixture
def failed(webhook):
    return WebhookDelivery.objects.create(
        webhook=webhook,
        event=WebhookEvent.DEAL_WON,
        payload={"event": "deal.won", "data": {"deal": {"id": 1}}},
        status=DeliveryStatus.FAILED,
        attempts=6,
        response_status_code=503,
        error="Service unavailable",
    )


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def every_door(webhook, delivery):
    """(method, url) of every page and action, for the permission checks."""
    return [
        ("get", reverse("webhooks:list")),
        ("post", reverse("webhooks:list")),
        ("get", reverse("webhooks:detail", args=[webhook.pk])),
        ("post", reverse("webhooks:detail", args=[webhook.pk])),
        ("post", reverse("webhooks:rotate_secret", args=[webhook.pk])),
        ("post", reverse("webhooks:ping", args=[webhook.pk])),
        ("post", reverse("webhooks:delete", args=[webhook.pk])),
        ("post", reverse("webhooks:redeliver", args=[delivery.pk])),
    ]


def form_data(**changes):
    data = {
        "url": "https://hooks.example.com/new",
        "description": "Data warehouse",
        "events": [WebhookEvent.DEAL_WON, WebhookEvent.DEAL_LOST],
        "is_active": "on",
    }
    return data | changes


# Who may enter


def test_anonymous_visitors_are_sent_to_login(client, webhook, failed):
    for method, url in every_door(webhook, failed):
        response = getattr(client, method)(url)

        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("user", ["alice", "maria"])
def test_reps_and_managers_are_refused_everywhere(client, request, webhook, failed, user):
    client.force_login(request.getfixturevalue(user))
    secret = webhook.secret

    for method, url in every_door(webhook, failed):
        assert getattr(client, method)(url, form_data()).status_code == 403, url

    webhook.refresh_from_db()
    assert webhook.secret == secret
    assert Webhook.objects.count() == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_settings_overview_links_to_webhooks(ada_client):
    content = ada_client.get(reverse("crm:settings")).content.decode()

    assert f'href="{reverse("webhooks:list")}"' in content


# List and add


@pytest.mark.parametrize("webhook_count", [2, 10])
def test_list_queries_do_not_grow_with_webhooks(
    ada_client, webhook_count, django_assert_num_queries
):
    for number in range(webhook_count):
        hook = make_webhook(f"https://hooks{number}.example.com/")
        WebhookDelivery.objects.create(
            webhook=hook, event="deal.won", payload={}, status=DeliveryStatus.FAILED
        )

    with django_assert_num_queries(LIST_QUERIES):
        response = ada_client.get(reverse("webhooks:list"))

    hooks = list(response.context["webhooks"])
    assert len(hooks) == webhook_count
    assert {(hook.delivery_count, hook.failed_count) for hook in hooks} == {(1, 1)}


def test_admin_adds_a_webhook(ada_client, ada):
    response = ada_client.post(reverse("webhooks:list"), form_data())

    webhook = Webhook.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:detail", args=[webhook.pk])
    assert webhook.events == ["deal.won", "deal.lost"]
    assert (webhook.description, webhook.is_active, webhook.created_by) == (
        "Data warehouse",
        True,
        ada,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "http://192.168.1.10/hook"}, "url"),
        ({"url": "https://me:pw@hooks.example.com/"}, "url"),
        ({"events": []}, "events"),
    ],
)
def test_bad_input_is_shown_on_its_field(ada_client, changes, field):
    response = ada_client.post(reverse("webhooks:list"), form_data(**changes))

    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert not Webhook.objects.exists()


def test_pages_have_no_inline_code(ada_client, webhook, failed):
    for url in (reverse("webhooks:list"), reverse("webhooks:detail", args=[webhook.pk])):
        content = ada_client.get(url).content.decode()

        assert INLINE_CODE.search(content) is None, url


# One webhook


@pytest.mark.parametrize("delivery_count", [3, 30])
def test_detail_queries_do_not_grow_with_deliveries(
    ada_client, webhook, delivery_count, django_assert_num_queries
):
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=webhook, event="deal.won", payload={"n": number})
        for number in range(delivery_count)
    )

    with django_assert_num_queries(DETAIL_QUERIES):
        response = ada_client.get(reverse("webhooks:detail", args=[webhook.pk]))

    assert len(response.context["deliveries"]) == min(delivery_count, 25)
    assert response.context["page_obj"].paginator.count == delivery_count


def test_delivery_log_is_newest_first_and_shows_the_outcome(ada_client, webhook, failed):
    newer = WebhookDelivery.objects.create(
        webhook=webhook, event="ping", payload={}, status=DeliveryStatus.SUCCEEDED
    )

    response = ada_client.get(reverse("webhooks:detail", args=[webhook.pk]))

    assert list(response.context["deliveries"]) == [newer, failed]
    content = response.content.decode()
    assert "Service unavailable" in content
    assert webhook.secret in content


def test_admin_edits_a_webhook(ada_client, webhook):
    url = reverse("webhooks:detail", args=[webhook.pk])

    response = ada_client.post(url, form_data(is_active="", events=[WebhookEvent.LEAD_CREATED]))

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.events, webhook.is_active) == (
        "https://hooks.example.com/new",
        ["lead.created"],
        False,
    )


def test_rotating_the_secret_swaps_in_the_new_one(ada_client, webhook):
    old = webhook.secret

    response = ada_client.post(reverse("webhooks:rotate_secret", args=[webhook.pk]), headers=HTMX)

    webhook.refresh_from_db()
    content = response.content.decode()
    assert webhook.secret != old
    assert webhook.secret in content
    assert old not in content
    assert content.strip().startswith('<div id="webhook-secret">')


def test_ping_shows_the_new_delivery_in_the_log(
    ada_client, webhook, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(reverse("webhooks:ping", args=[webhook.pk]), headers=HTMX)

    ping = WebhookDelivery.objects.get(event="ping")
    assert f'id="delivery-{ping.pk}"' in response.content.decode()
    assert 'id="delivery-log"' in response.content.decode()
    assert enqueued == [ping.pk]


def test_redeliver_swaps_the_row(ada_client, failed, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(reverse("webhooks:redeliver", args=[failed.pk]), headers=HTMX)

    assert response.status_code == 200
    assert response.content.decode().strip().startswith(f'<tr id="delivery-{failed.pk}"')
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    assert enqueued == [failed.pk]


def test_redeliver_refuses_a_delivery_that_has_not_failed(ada_client, failed, enqueued):
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.SUCCEEDED)

    response = ada_client.post(reverse("webhooks:redeliver", args=[failed.pk]), headers=HTMX)

    assert response.status_code == 422
    assert "Only a failed delivery" in response.content.decode()
    assert enqueued == []


def test_admin_deletes_a_webhook_and_its_log(ada_client, webhook, failed):
    response = ada_client.post(reverse("webhooks:delete", args=[webhook.pk]))

    assert response.status_code == 302
    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_unknown_webhook_answers_404(ada_client, db):
    assert ada_client.get(reverse("webhooks:detail", args=[999])).status_code == 404
