"""CRM events become deliveries: after the change commits, for subscribed active webhooks only.

Celery is replaced by a list (``enqueued``): these tests are about which deliveries are
recorded and when, not about sending them.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from contacts.models import Lead, LeadSource
from contacts.signals import lead_created
from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from pipeline.models import StageKind
from pipeline.services import DealFields, move_opportunity
from tests.factories import LeadFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.webhooks.conftest import make_webhook

URL = "https://hooks.example.com/crm"


class Rollback(Exception):
    pass


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST
        ),
    }


@pytest.fixture
def deal(board, alice):
    return OpportunityFactory(
        title="Renewal 2027",
        stage=board["qualification"],
        owner=alice,
        value=Decimal("12500.50"),
        expected_close_date=dt.date(2027, 1, 31),
    )


def move(deal, stage, by, **fields):
    return move_opportunity(
        opportunity_id=deal.pk,
        by=by,
        to_stage_id=stage.pk,
        version=deal.version,
        fields=DealFields(**fields) if fields else None,
    )


def test_a_move_is_delivered_only_after_it_commits(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    webhook = make_webhook(URL, events=[WebhookEvent.DEAL_MOVED])

    # Given a move whose transaction has not committed yet
    with django_capture_on_commit_callbacks() as callbacks:
        move(deal, board["offer"], alice)
        # Then nothing is recorded yet
        assert not WebhookDelivery.objects.exists()

    # When it commits
    for callback in callbacks:
        callback()

    # Then one delivery describes the move, and goes to Celery once it is committed itself
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook, delivery.event, delivery.status) == (
        webhook,
        "deal.moved",
        DeliveryStatus.PENDING,
    )
    data = delivery.payload["data"]
    assert data["deal"]["id"] == deal.pk
    assert data["deal"]["title"] == "Renewal 2027"
    assert data["deal"]["value"] == "12500.50"
    assert data["deal"]["stage_id"] == board["offer"].pk
    assert data["from_stage"]["name"] == "Qualification"
    assert data["to_stage"] == {
        "id": board["offer"].pk,
        "name": "Offer",
        "kind": "open",
        "probability": 60,
    }
    assert data["by"]["username"] == "alice"
    assert delivery.payload["event"] == "deal.moved"
    assert enqueued == []


def test_deliveries_are_enqueued_once_committed(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL)

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["offer"], alice)

    assert enqueued == [WebhookDelivery.objects.get().pk]


def test_a_rolled_back_move_sends_nothing(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL)

    def move_then_fail():
        with transaction.atomic():
            move(deal, board["offer"], alice)
            raise Rollback

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Rollback):
        move_then_fail()

    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []


def test_winning_a_deal_is_a_move_and_a_win(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL)

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["won"], alice)

    events = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["deal.moved", "deal.won"]
    won = WebhookDelivery.objects.get(event="deal.won")
    assert won.payload["data"]["deal"]["status"] == "won"


def test_losing_a_deal_sends_the_reason(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL, events=[WebhookEvent.DEAL_LOST])

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["lost"], alice, lost_reason="Chose a competitor")

    lost = WebhookDelivery.objects.get()
    assert lost.event == "deal.lost"
    assert lost.payload["data"]["deal"]["lost_reason"] == "Chose a competitor"


def test_a_reorder_within_the_column_is_no_event(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL)

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["qualification"], alice)

    assert not WebhookDelivery.objects.exists()


def test_only_active_subscribed_webhooks_get_a_delivery(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks
):
    subscribed = make_webhook(URL, events=[WebhookEvent.DEAL_MOVED])
    make_webhook("https://other.example.com/", events=[WebhookEvent.LEAD_CREATED])
    make_webhook("https://paused.example.com/", events=[WebhookEvent.DEAL_MOVED], is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["offer"], alice)

    assert [delivery.webhook for delivery in WebhookDelivery.objects.all()] == [subscribed]


def test_a_move_without_webhooks_costs_one_query_after_commit(
    board, deal, alice, enqueued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks() as callbacks:
        move(deal, board["offer"], alice)

    # Finding the subscribed webhooks: none, so nothing else happens.
    with django_assert_num_queries(1):
        for callback in callbacks:
            callback()


def test_lead_created_signal_records_a_delivery(
    alice, enqueued, django_capture_on_commit_callbacks
):
    make_webhook(URL, events=[WebhookEvent.LEAD_CREATED])
    lead = LeadFactory(first_name="Lena", last_name="Berg", owner=alice, source=LeadSource.WEB)

    with django_capture_on_commit_callbacks(execute=True):
        lead_created.send(sender=Lead, lead=lead, by=alice)

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "lead.created"
    assert delivery.payload["data"]["lead"]["id"] == lead.pk
    assert delivery.payload["data"]["lead"]["last_name"] == "Berg"
    assert delivery.payload["data"]["lead"]["owner_id"] == alice.pk
    assert delivery.payload["occurred_at"] == lead.created_at.isoformat()
    assert enqueued == [delivery.pk]


def test_lead_created_by_an_import_names_nobody(db, enqueued, django_capture_on_commit_callbacks):
    make_webhook(URL, events=[WebhookEvent.LEAD_CREATED])
    lead = LeadFactory(owner=None)

    with django_capture_on_commit_callbacks(execute=True):
        lead_created.send(sender=Lead, lead=lead, by=None)

    assert WebhookDelivery.objects.get().payload["data"]["by"] is None


def test_creating_a_lead_through_the_service_is_delivered(
    alice, enqueued, django_capture_on_commit_callbacks
):
    from contacts.services.leads import create_lead

    make_webhook(URL, events=[WebhookEvent.LEAD_CREATED])

    with django_capture_on_commit_callbacks(execute=True):
        lead = create_lead(
            by=alice,
            fields={"first_name": "Lena", "last_name": "Berg", "source": LeadSource.WEB},
        )

    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["lead"]["id"] == lead.pk
    assert enqueued == [delivery.pk]


def test_a_failing_receiver_cannot_fail_a_committed_move(
    board, deal, alice, enqueued, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    make_webhook(URL)

    def broken(**kwargs):
        raise RuntimeError("receiver down")

    monkeypatch.setattr("crm.webhooks.receivers.record_event", broken)

    with django_capture_on_commit_callbacks(execute=True):
        move(deal, board["won"], alice)

    deal.refresh_from_db()
    assert deal.stage == board["won"]
    assert "receiver down" in caplog.text
