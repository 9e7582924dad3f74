"""The funnel, stage conversion and time in stage from hand-written StageChange histories."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.funnel import stage_flow
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, StageChange, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory

Q2 = parse_period("2026-Q2")
NOW = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def at(month, day):
    return dt.datetime(2026, month, day, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualify": StageFactory(pipeline=pipeline, name="Qualify", position=1, probability=20),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, kind=StageKind.WON, probability=100
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=4, kind=StageKind.LOST, probability=0
        ),
    }


def deal_with(stages, owner, moves, **fields):
    """A deal that went through ``moves``: (stage name, month, day) in order."""
    final = moves[-1][0]
    deal = OpportunityFactory(owner=owner, stage=stages[final], **fields)
    previous = None
    for name, month, day in moves:
        StageChange.objects.create(
            opportunity=deal, from_stage=previous, to_stage=stages[name], at=at(month, day)
        )
        previous = stages[name]
    return deal


@pytest.fixture
def history(stages, alice, bob):
    # A: Qualify 1 Apr (10 days), Offer 11 Apr (20 days), won 1 May.
    deal_with(
        stages,
        alice,
        [("qualify", 4, 1), ("offer", 4, 11), ("won", 5, 1)],
        status=OpportunityStatus.WON,
        closed_at=at(5, 1),
    )
    # B: Qualify 5 Apr, Offer 15 Apr, back to Qualify 25 Apr, still there (until 1 Jul).
    deal_with(stages, bob, [("qualify", 4, 5), ("offer", 4, 15), ("qualify", 4, 25)])
    # C: Qualify 1 May, lost 31 May, reopened into Offer 10 Jun, won 30 Jun.
    deal_with(
        stages,
        alice,
        [("qualify", 5, 1), ("lost", 5, 31), ("offer", 6, 10), ("won", 6, 30)],
        status=OpportunityStatus.WON,
        closed_at=at(6, 30),
    )
    # D: entered Qualify in March, nothing since: a stay going on through all of Q2.
    deal_with(stages, bob, [("qualify", 3, 2)])


def flows(scope):
    return {flow.stage_name: flow for flow in stage_flow(scope, now=NOW)}


def test_entered_advanced_and_won_count_each_deal_once_per_stage(history, maria):
    qualify, offer = flows(ReportScope(maria, Q2)).values()

    # Qualify in Q2: A, B (twice, once counted), C. A and B moved on to Offer, C was won
    # from it after being reopened; D entered in March.
    assert (qualify.entered, qualify.advanced, qualify.won) == (3, 3, 2)
    assert qualify.conversion == Decimal("1.0000")
    # Offer: A (won), B (moved back: not advanced), C (won).
    assert (offer.entered, offer.advanced, offer.won) == (3, 2, 2)
    assert offer.conversion == Decimal("0.6667")


def test_time_in_stage_counts_the_current_stage_until_the_period_ends(history, maria):
    qualify, offer = flows(ReportScope(maria, Q2)).values()

    # Qualify stays: A 10, B 10, B again 25 Apr - 1 Jul = 67, C 30, D 2 Mar - 1 Jul = 121.
    # Sorted 10, 10, 30, 67, 121: median 30; p80 at 3.2: 67 + 0.2 x 54 = 77.8.
    assert qualify.median_days == Decimal("30.0")
    assert qualify.p80_days == Decimal("77.8")
    # Offer stays: A 20, B 10, C 20: median 20; p80 at 1.6: 20.
    assert offer.median_days == Decimal("20.0")
    assert offer.p80_days == Decimal("20.0")


def test_an_empty_period_lists_every_open_stage_with_nothing(history, maria):
    qualify, offer = flows(ReportScope(maria, parse_period("2025-Q2"))).values()

    assert (qualify.entered, qualify.conversion, qualify.median_days) == (0, None, None)
    assert offer.entered == 0


def test_another_pipeline_is_filtered_out_and_reps_see_their_own(history, stages, alice):
    other = StageFactory(pipeline=PipelineFactory(name="Renewals"), name="Renew", position=1)
    deal_with({"renew": other}, alice, [("renew", 4, 2)])

    mine = flows(ReportScope(alice, Q2, pipeline_id=stages["qualify"].pipeline_id))
    assert list(mine) == ["Qualify", "Offer"]
    # Alice's own: A and C entered Qualify.
    assert mine["Qualify"].entered == 2

    renewals = flows(ReportScope(alice, Q2, pipeline_id=other.pipeline_id))
    assert renewals["Renew"].entered == 1


@pytest.mark.parametrize("extra", [0, 8])
def test_queries_do_not_grow_with_history(stages, alice, maria, extra, django_assert_num_queries):
    for number in range(extra):
        deal_with(stages, alice, [("qualify", 4, 1 + number), ("offer", 5, 1 + number)])

    # The stages, whether the zone's rollups are ready (no), and three from the history.
    with django_assert_num_queries(5):
        stage_flow(ReportScope(maria, Q2), now=NOW)


def test_changes_at_the_same_instant_are_not_later_but_end_the_stay(stages, alice, maria):
    # Offer and Won recorded at the same instant (Offer first): Won is not after the
    # Offer entry, so Offer neither advanced nor was won from; its stay ends at once.
    deal_with(
        stages,
        alice,
        [("qualify", 4, 1), ("offer", 4, 10), ("won", 4, 10)],
        status=OpportunityStatus.WON,
        closed_at=at(4, 10),
    )
    qualify, offer = flows(ReportScope(maria, Q2)).values()
    assert (qualify.entered, qualify.advanced, qualify.won) == (1, 1, 1)
    assert (offer.entered, offer.advanced, offer.won) == (1, 0, 0)
    assert (qualify.median_days, qualify.p80_days) == (Decimal("9.0"), Decimal("9.0"))
    assert (offer.median_days, offer.p80_days) == (Decimal("0.0"), Decimal("0.0"))
