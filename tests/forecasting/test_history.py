"""Snapshots of past months rebuilt from a deal's stage history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from forecasting.history import month_starts, snapshots_from_history
from forecasting.jobs import take_pipeline_snapshot
from forecasting.models import PipelineSnapshot
from pipeline.models import ForecastCategory, OpportunityStatus, StageChange, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory

TODAY = dt.date(2025, 7, 15)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    sales = PipelineFactory(name="Sales")
    return {
        "first": StageFactory(pipeline=sales, name="First", position=1, probability=10),
        "offer": StageFactory(pipeline=sales, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=sales, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }


def deal_with_history(owner, stages, entries, **fields):
    """A deal whose StageChange rows are ``entries``: (stage key, moment text) in order."""
    last_key, last_at = entries[-1]
    deal = OpportunityFactory(
        owner=owner,
        stage=stages[last_key],
        created_at=at(entries[0][1]),
        stage_entered_at=at(last_at),
        **fields,
    )
    previous = None
    for key, moment in entries:
        StageChange.objects.create(
            opportunity=deal, from_stage=previous, to_stage=stages[key], at=at(moment)
        )
        previous = stages[key]
    return deal


def snapshots(deal):
    return list(
        PipelineSnapshot.objects.filter(opportunity=deal)
        .order_by("taken_on")
        .values_list("taken_on", "stage__name", "probability", "forecast_category")
    )


def test_month_starts_are_the_nights_after_the_start_and_before_today():
    assert month_starts(at("2025-03-01 00:00"), dt.date(2025, 6, 1)) == [
        dt.date(2025, 3, 1),
        dt.date(2025, 4, 1),
        dt.date(2025, 5, 1),
    ]
    assert month_starts(at("2024-11-20 10:00"), dt.date(2025, 1, 2)) == [
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
    ]


def test_each_month_start_shows_the_stage_the_deal_was_in_until_it_was_won(alice, stages):
    deal = deal_with_history(
        alice,
        stages,
        [("first", "2025-01-10 09:00"), ("offer", "2025-03-01 00:00"), ("won", "2025-05-20")],
        status=OpportunityStatus.WON,
        closed_at=at("2025-05-20 00:00"),
        forecast_category=ForecastCategory.CLOSED,
        value=Decimal("5000.00"),
        currency="USD",
    )

    assert snapshots_from_history([deal.pk], since=deal.created_at, today=TODAY) == 4

    # An entry at midnight counts for that night; the category of a deal since closed is
    # Pipeline: what it was forecast as then is not in the history.
    assert snapshots(deal) == [
        (dt.date(2025, 2, 1), "First", 10, "pipeline"),
        (dt.date(2025, 3, 1), "Offer", 60, "pipeline"),
        (dt.date(2025, 4, 1), "Offer", 60, "pipeline"),
        (dt.date(2025, 5, 1), "Offer", 60, "pipeline"),
    ]
    snapshot = PipelineSnapshot.objects.filter(opportunity=deal).first()
    assert (snapshot.value, snapshot.currency, snapshot.owner) == (Decimal("5000.00"), "USD", alice)


def test_an_open_deal_is_snapshot_until_before_today_with_its_own_category(alice, stages):
    deal = deal_with_history(
        alice, stages, [("first", "2025-04-02")], forecast_category=ForecastCategory.COMMIT
    )

    snapshots_from_history([deal.pk], since=deal.created_at, today=TODAY)

    # Today's snapshot is the nightly job's.
    assert snapshots(deal) == [
        (dt.date(2025, 5, 1), "First", 10, "commit"),
        (dt.date(2025, 6, 1), "First", 10, "commit"),
        (dt.date(2025, 7, 1), "First", 10, "commit"),
    ]


def test_rebuilding_twice_writes_nothing_the_second_time_and_keeps_nightly_snapshots(alice, stages):
    deal = deal_with_history(alice, stages, [("first", "2025-04-02")])
    # A real nightly snapshot of 1 June, in another stage, is the truth for that night.
    PipelineSnapshot.objects.create(
        taken_on=dt.date(2025, 6, 1),
        opportunity=deal,
        pipeline=deal.pipeline,
        stage=stages["offer"],
        owner=alice,
        value=deal.value,
        currency="EUR",
        probability=60,
        forecast_category="pipeline",
    )

    assert snapshots_from_history([deal.pk], since=deal.created_at, today=TODAY) == 2
    assert snapshots_from_history([deal.pk], since=deal.created_at, today=TODAY) == 0

    assert [row[:2] for row in snapshots(deal)] == [
        (dt.date(2025, 5, 1), "First"),
        (dt.date(2025, 6, 1), "Offer"),
        (dt.date(2025, 7, 1), "First"),
    ]
    # The nightly job still takes today's.
    assert take_pipeline_snapshot(TODAY) == 1


@pytest.mark.parametrize("deals", [3, 30])
def test_rebuilding_takes_the_same_statements_for_few_or_many_deals(
    alice, stages, deals, django_assert_num_queries
):
    ids = [
        deal_with_history(alice, stages, [("first", "2025-01-10"), ("offer", "2025-03-05")]).pk
        for _ in range(deals)
    ]

    # The snapshot statement, after dropping the stored readings of its nights (under
    # their lock on PostgreSQL; none stored here).
    with django_assert_num_queries(2 + (connection.vendor == "postgresql")):
        written = snapshots_from_history(ids, since=at("2025-01-10 00:00"), today=TODAY)

    assert written == deals * 6  # February to July


def test_a_history_that_began_this_month_takes_no_query(alice, stages, django_assert_num_queries):
    deal = deal_with_history(alice, stages, [("first", "2025-07-02")])

    with django_assert_num_queries(0):
        assert snapshots_from_history([deal.pk], since=deal.created_at, today=TODAY) == 0


def test_nights_asked_for_are_written_besides_the_month_starts_but_never_today(alice, stages):
    deal = deal_with_history(
        alice, stages, [("first", "2025-06-20 10:00"), ("offer", "2025-07-03 09:00")]
    )
    nights = [dt.date(2025, 6, 20), dt.date(2025, 6, 21), dt.date(2025, 7, 3), dt.date(2025, 7, 4)]

    snapshots_from_history(
        [deal.pk], since=deal.created_at, today=dt.date(2025, 7, 4), nights=nights
    )

    # 20 June began before the deal existed; 3 July began before its move to Offer.
    assert snapshots(deal) == [
        (dt.date(2025, 6, 21), "First", 10, "pipeline"),
        (dt.date(2025, 7, 1), "First", 10, "pipeline"),
        (dt.date(2025, 7, 3), "First", 10, "pipeline"),
    ]
