"""Pipeline movement between two nights, from hand-written snapshots."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.models import PipelineSnapshot
from forecasting.movement import Movement, pipeline_movement
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory

Q2 = parse_period("2026-Q2")
SINCE, UNTIL = dt.date(2026, 4, 1), dt.date(2026, 5, 1)
MAY_FIRST_9AM = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory()
    return {
        "qualify": StageFactory(pipeline=pipeline, position=1, probability=20),
        "offer": StageFactory(pipeline=pipeline, position=2, probability=60),
        "won": StageFactory(pipeline=pipeline, position=3, kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, position=4, kind=StageKind.LOST, probability=0),
    }


def april(day):
    return dt.datetime(2026, 4, day, tzinfo=dt.UTC)


def snapshot(deal, night, stage, value, close=None, currency="EUR", owner=None):
    PipelineSnapshot.objects.create(
        taken_on=night,
        opportunity=deal,
        pipeline=stage.pipeline,
        stage=stage,
        owner=owner or deal.owner,
        value=Decimal(value),
        currency=currency,
        probability=stage.probability,
        forecast_category="pipeline",
        expected_close_date=close,
    )


@pytest.fixture
def nights(stages, alice, bob):
    deal = lambda owner, **kw: OpportunityFactory(owner=owner, stage=stages["offer"], **kw)  # noqa: E731
    # Advanced from Qualify to Offer, value 1,000 -> 1,500.
    advanced = deal(alice)
    snapshot(advanced, SINCE, stages["qualify"], "1000.00", dt.date(2026, 6, 1))
    snapshot(advanced, UNTIL, stages["offer"], "1500.00", dt.date(2026, 6, 1))
    # Moved back, and its close date slipped from June to August.
    back = deal(bob)
    snapshot(back, SINCE, stages["offer"], "2000.00", dt.date(2026, 6, 15))
    snapshot(back, UNTIL, stages["qualify"], "2000.00", dt.date(2026, 8, 15))
    # New in April.
    new = deal(alice)
    snapshot(new, UNTIL, stages["qualify"], "700.00")
    # Won on 20 April, lost on 1 May (after until began: not yet lost).
    won = deal(alice, status=OpportunityStatus.WON, closed_at=april(20))
    snapshot(won, SINCE, stages["offer"], "3000.00")
    late = deal(bob, status=OpportunityStatus.LOST, closed_at=MAY_FIRST_9AM, lost_reason="Price")
    snapshot(late, SINCE, stages["offer"], "400.00")
    # Lost on 10 April, in USD.
    lost = deal(
        bob,
        status=OpportunityStatus.LOST,
        closed_at=april(10),
        lost_reason="Price",
        currency="USD",
    )
    snapshot(lost, SINCE, stages["offer"], "900.00", currency="USD")


def test_movement_between_two_nights(nights, maria):
    eur, usd = pipeline_movement(ReportScope(maria, Q2), SINCE, UNTIL)

    assert eur == Movement(
        currency="EUR",
        new=1,
        new_value=Decimal("700.00"),
        won=1,
        won_value=Decimal("3000.00"),
        lost=0,
        advanced=1,
        moved_back=1,
        slipped=1,
        slipped_value=Decimal("2000.00"),
        value_changed=1,
        value_change=Decimal("500.00"),
    )
    assert (usd.lost, usd.lost_value) == (1, Decimal("900.00"))


def test_a_rep_sees_only_their_own_deals_move(nights, alice):
    [eur] = pipeline_movement(ReportScope(alice, Q2), SINCE, UNTIL)

    assert (eur.new, eur.won, eur.advanced, eur.moved_back, eur.slipped) == (1, 1, 1, 0, 0)


def test_a_deal_handed_to_another_team_leaves_one_pipeline_and_is_new_in_the_other(
    stages, alice, charlie, maria, sam
):
    deal = OpportunityFactory(owner=charlie, stage=stages["offer"])
    snapshot(deal, SINCE, stages["offer"], "400.00", owner=alice)
    snapshot(deal, UNTIL, stages["offer"], "400.00", owner=charlie)

    # North (Maria) had it on 1 April and not on 1 May: no heading counts it there.
    assert pipeline_movement(ReportScope(maria, Q2), SINCE, UNTIL) == []
    # South (Sam) did not have it on 1 April: there it is new.
    [south] = pipeline_movement(ReportScope(sam, Q2), SINCE, UNTIL)
    assert (south.new, south.new_value, south.advanced) == (1, Decimal("400.00"), 0)


def test_nights_without_snapshots_show_no_movement(nights, maria):
    assert pipeline_movement(ReportScope(maria, Q2), dt.date(2025, 1, 1), dt.date(2025, 2, 1)) == []


@pytest.mark.parametrize("extra", [0, 6])
def test_two_queries_whatever_the_deals(stages, alice, maria, extra, django_assert_num_queries):
    for _number in range(extra):
        deal = OpportunityFactory(owner=alice, stage=stages["offer"])
        snapshot(deal, SINCE, stages["qualify"], "100.00")
        snapshot(deal, UNTIL, stages["offer"], "100.00")

    # Read once for every owner (a fixed number of queries: test_snapshot_readings), then
    # the reading's id and its rows in scope.
    pipeline_movement(ReportScope(maria, Q2), SINCE, UNTIL)
    with django_assert_num_queries(2):
        pipeline_movement(ReportScope(maria, Q2), SINCE, UNTIL)
