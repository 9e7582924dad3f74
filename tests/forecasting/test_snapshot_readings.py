"""Stored snapshot readings: the movement and the backtest's period openings read once,
summed per scope as the snapshots themselves count, and dropped by every write that makes
them stale."""

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from forecasting.backtest import OPENING, _openings, counted_openings
from forecasting.history import snapshots_from_history
from forecasting.jobs import take_pipeline_snapshot
from forecasting.models import MovementTally, OpeningTally, SnapshotReading
from forecasting.movement import Movement, counted_movement, pipeline_movement
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from forecasting.snapshot_readings import READING_LOCK, share_reading_lock
from forecasting.snapshot_upkeep import prune
from pipeline.models import Opportunity, OpportunityStatus, StageChange, StageKind
from pipeline.services.moves import DealFields, move_opportunity
from pipeline.services.stages import reorder_stages
from tests.factories import OpportunityFactory, PipelineFactory, ProductFactory, StageFactory

Q4 = parse_period("2026-Q4")
SINCE, UNTIL = dt.date(2026, 11, 1), dt.date(2026, 11, 15)
NOV_5 = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)


@pytest.fixture
def sales(db):
    pipeline = PipelineFactory(name="Sales")
    return {
        "pipeline": pipeline,
        "qualify": StageFactory(pipeline=pipeline, position=1, probability=20),
        "offer": StageFactory(pipeline=pipeline, position=2, probability=60),
        "won": StageFactory(pipeline=pipeline, position=3, kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, position=4, kind=StageKind.LOST, probability=0),
    }


@pytest.fixture
def history(sales, alice, bob, charlie):
    """Snapshots of 1 and 15 November taken by the nightly job, deals changed in between:
    Alice's two deals advanced (one of them grew), Bob's moved back and slipped out of Q4,
    Charlie's deal came to Bob (another team), one of Alice's was won on 5 November and one
    is new."""
    deal = lambda owner, stage, **fields: OpportunityFactory(  # noqa: E731
        owner=owner, stage=stage, pipeline=sales["pipeline"], **fields
    )
    due = lambda day: {"expected_close_date": dt.date(2026, 11, day)}  # noqa: E731
    advanced = deal(alice, sales["qualify"], value=Decimal("1000.00"), **due(20))
    also = deal(alice, sales["qualify"], value=Decimal("100.00"), **due(21))
    back = deal(
        bob, sales["offer"], value=Decimal("2000.00"), expected_close_date=dt.date(2026, 12, 1)
    )
    handed = deal(charlie, sales["offer"], value=Decimal("400.00"), **due(25))
    won = deal(alice, sales["offer"], value=Decimal("3000.00"), **due(30))
    take_pipeline_snapshot(SINCE)
    Opportunity.objects.filter(pk=advanced.pk).update(
        stage=sales["offer"], value=Decimal("1500.00")
    )
    Opportunity.objects.filter(pk=also.pk).update(stage=sales["offer"])
    Opportunity.objects.filter(pk=back.pk).update(
        stage=sales["qualify"], expected_close_date=dt.date(2027, 2, 1)
    )
    Opportunity.objects.filter(pk=handed.pk).update(owner=bob)
    Opportunity.objects.filter(pk=won.pk).update(
        stage=sales["won"], status=OpportunityStatus.WON, closed_at=NOV_5
    )
    deal(alice, sales["qualify"], value=Decimal("700.00"), **due(28))
    take_pipeline_snapshot(UNTIL)
    return {"advanced": advanced, "back": back, "handed": handed, "won": won}


def scopes(sales, *users):
    every = []
    for user in users:
        every += [ReportScope(user, Q4), ReportScope(user, Q4, pipeline_id=sales["pipeline"].pk)]
    return every


def assert_as_counted(all_scopes):
    for scope in all_scopes:
        assert pipeline_movement(scope, SINCE, UNTIL) == counted_movement(scope, SINCE, UNTIL)


def test_stored_movement_answers_as_the_snapshots_count(history, sales, ada, maria, sam, alice):
    [north] = pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)

    # Charlie's deal came to Bob: new in North, gone from South without being won or lost.
    assert north == Movement(
        currency="EUR",
        new=2,
        new_value=Decimal("1100.00"),
        won=1,
        won_value=Decimal("3000.00"),
        advanced=2,
        moved_back=1,
        slipped=1,
        slipped_value=Decimal("2000.00"),
        value_changed=1,
        value_change=Decimal("500.00"),
    )
    assert pipeline_movement(ReportScope(sam, Q4), SINCE, UNTIL) == []
    [everyone] = pipeline_movement(ReportScope(ada, Q4), SINCE, UNTIL)
    assert (everyone.new, everyone.new_value) == (1, Decimal("700.00"))
    # One reading serves every scope.
    assert SnapshotReading.objects.count() == 1
    assert_as_counted(scopes(sales, ada, maria, sam, alice))


def test_a_second_report_reads_the_stored_rows_only(history, maria, django_assert_num_queries):
    scope = ReportScope(maria, Q4)
    pipeline_movement(scope, SINCE, UNTIL)

    with django_assert_num_queries(2):  # the reading's id, its rows in scope
        pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)


def test_a_product_filter_counts_from_the_snapshots(history, maria):
    product = ProductFactory()

    assert pipeline_movement(ReportScope(maria, Q4, product_id=product.pk), SINCE, UNTIL) == []
    assert not SnapshotReading.objects.exists()


def test_a_night_taken_after_it_was_read_is_read_again(sales, alice, maria):
    OpportunityFactory(owner=alice, stage=sales["offer"], value=Decimal("900.00"))
    take_pipeline_snapshot(SINCE)
    scope = ReportScope(maria, Q4)
    assert pipeline_movement(scope, SINCE, UNTIL) == []  # 15 November not taken yet

    take_pipeline_snapshot(UNTIL)

    assert pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL) == counted_movement(
        scope, SINCE, UNTIL
    )
    [eur] = pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    assert (eur.new, eur.advanced) == (0, 0)  # the deal was open on both nights


def test_deleting_a_deal_drops_every_reading(history, sales, ada, maria, sam, alice):
    pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)

    history["advanced"].delete()

    assert not SnapshotReading.objects.exists()
    assert not MovementTally.objects.exists()
    assert_as_counted(scopes(sales, ada, maria, sam, alice))


def test_reopening_a_deal_won_between_the_nights_drops_the_movement(
    history, sales, ada, maria, alice
):
    [before] = pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    assert before.won == 1
    won = history["won"]
    won.refresh_from_db()

    move_opportunity(
        opportunity_id=won.pk, by=alice, to_stage_id=sales["offer"].pk, version=won.version
    )

    [after] = pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    assert after.won == 0
    assert_as_counted(scopes(sales, ada, maria, alice))


def test_a_deal_closed_now_closed_after_the_nights_and_keeps_the_reading(
    history, sales, ada, maria, alice
):
    pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    reading = SnapshotReading.objects.get()
    advanced = history["advanced"]
    advanced.refresh_from_db()

    move_opportunity(
        opportunity_id=advanced.pk,
        by=alice,
        to_stage_id=sales["lost"].pk,
        version=advanced.version,
        fields=DealFields(lost_reason="Price"),
    )

    assert list(SnapshotReading.objects.all()) == [reading]
    assert_as_counted(scopes(sales, ada, maria, alice))


def test_reordering_stages_drops_the_movement_and_keeps_the_openings(history, sales, ada, maria):
    pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    _openings(ReportScope(maria, Q4), [parse_period("2026-11"), parse_period("2026-12")])
    assert SnapshotReading.objects.count() == 3

    reorder_stages(
        pipeline=sales["pipeline"],
        stage_ids=[sales[name].pk for name in ("offer", "qualify", "won", "lost")],
    )

    assert SnapshotReading.objects.filter(kind="movement").count() == 0
    assert SnapshotReading.objects.filter(kind="opening").count() == 2
    [eur] = pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    # Qualify now comes after Offer: Alice's deals moved back, Bob's advanced.
    assert (eur.advanced, eur.moved_back) == (1, 2)
    assert_as_counted(scopes(sales, ada, maria))


def rows(openings):
    return sorted(tuple(str(row[name]) for name in OPENING) for row in openings)


def test_stored_openings_answer_as_the_snapshots_count(history, sales, ada, maria, sam):
    november, quarter = parse_period("2026-11"), parse_period("2026-Q4")

    for scope in scopes(sales, ada, maria, sam):
        assert rows(_openings(scope, [november, quarter])) == rows(
            counted_openings(scope, [november, quarter])
        )
    # On 1 November North had Alice's deals in Qualify (1,000 and 100, due in November) and
    # in Offer (3,000), and Bob's in Offer due 1 December; Charlie's (South) is not North's.
    # Q4's first night, 1 October, has no snapshot.
    north = _openings(ReportScope(maria, Q4), [november, quarter])
    by_stage = {row["stage_id"]: (row["taken_on"], row["total"]) for row in north}
    assert by_stage == {
        sales["qualify"].pk: (SINCE, Decimal("1100.00")),
        sales["offer"].pk: (SINCE, Decimal("3000.00")),
    }


def test_writing_a_night_from_history_drops_its_readings(history, sales, alice, maria):
    december = parse_period("2026-12")
    scope = ReportScope(maria, Q4)
    assert _openings(scope, [december]) == []
    deal = OpportunityFactory(
        owner=alice,
        stage=sales["offer"],
        pipeline=sales["pipeline"],
        value=Decimal("250.00"),
        expected_close_date=dt.date(2026, 12, 10),
        created_at=NOV_5,
    )

    StageChange.objects.create(opportunity=deal, to_stage=sales["offer"], at=NOV_5)

    snapshots_from_history([deal.pk], since=NOV_5, today=dt.date(2026, 12, 3))

    [row] = _openings(ReportScope(maria, Q4), [december])
    assert (row["taken_on"], row["total"]) == (dt.date(2026, 12, 1), Decimal("250.00"))
    assert rows(_openings(scope, [december])) == rows(counted_openings(scope, [december]))


def test_prune_drops_what_no_report_reads(history, maria):
    pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)
    _openings(ReportScope(maria, Q4), [parse_period("2025-09"), parse_period("2026-11")])

    assert prune(dt.date(2026, 12, 3), oldest_opening=dt.date(2026, 1, 1)) == 2

    assert list(SnapshotReading.objects.values_list("kind", "first_night")) == [
        ("opening", dt.date(2026, 11, 1))
    ]
    assert OpeningTally.objects.filter(reading__first_night__lt=dt.date(2026, 1, 1)).count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_a_reading_and_the_writes_that_drop_readings_wait_for_each_other(history, maria):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def other_gets(function):
        with psycopg.connect(**params, autocommit=False) as other:
            row = other.execute(f"SELECT {function}(%s, 0)", [READING_LOCK]).fetchone()
            other.rollback()
            return row[0]

    # A write dropping readings: other writes go on, a reading waits for its commit.
    share_reading_lock()
    assert other_gets("pg_try_advisory_xact_lock_shared") is True
    assert other_gets("pg_try_advisory_xact_lock") is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_a_write_dropping_readings_waits_for_a_reading_in_progress(history, maria):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    pipeline_movement(ReportScope(maria, Q4), SINCE, UNTIL)  # read now, in this transaction

    with psycopg.connect(**params, autocommit=False) as other:
        row = other.execute(
            "SELECT pg_try_advisory_xact_lock_shared(%s, 0)", [READING_LOCK]
        ).fetchone()
        other.rollback()
    assert row[0] is False
