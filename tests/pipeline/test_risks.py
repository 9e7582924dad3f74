"""Why a deal is flagged: each rule, since when, and what would clear it."""

import datetime as dt

import pytest
from django.utils import timezone

from pipeline.board import decorate_card
from pipeline.models import OpportunityStatus
from pipeline.risks import deal_risks
from tests.factories import OpportunityFactory, StageFactory

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def offer(db):
    return StageFactory(name="Offer", rotting_days=10)


def risks_of(deal, **card):
    for name, value in card.items():
        setattr(deal, name, value)
    with timezone.override(dt.UTC):
        return deal_risks(decorate_card(deal, NOW), NOW)


def test_a_deal_too_long_in_its_stage_is_cleared_by_moving_it_not_by_a_touch(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=30),
        stage_entered_at=NOW - dt.timedelta(days=25),
        last_touch_at=NOW - dt.timedelta(days=2),
    )

    [risk] = risks_of(deal)

    assert risk.kind == "stale"
    assert risk.rule == "In “Offer” for 25 days; the stage allows 10 days."
    assert risk.since == dt.date(2026, 5, 31)  # entered 21 May + 10 days
    assert risk.clears.startswith("Move the deal to its next stage")


def test_a_deal_nobody_touched_is_cleared_by_a_touchpoint(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=30),
        stage_entered_at=NOW - dt.timedelta(days=3),
        last_touch_at=NOW - dt.timedelta(days=12),
    )

    [risk] = risks_of(deal)

    assert risk.rule == "No call, email, meeting or note for 12 days; the stage allows 10 days."
    assert risk.since == dt.date(2026, 6, 13)
    assert risk.clears == "Log a call, email, meeting or note with the customer."


def test_a_deal_never_touched_counts_from_its_creation(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=11),
        stage_entered_at=NOW - dt.timedelta(days=1),
        last_touch_at=None,
    )

    [risk] = risks_of(deal)

    assert risk.rule == (
        "Never touched in the 11 days since it was created; the stage allows 10 days."
    )
    assert risk.since == dt.date(2026, 6, 14)


def test_both_clocks_run_out_gives_both_reasons(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=60),
        stage_entered_at=NOW - dt.timedelta(days=40),
        last_touch_at=NOW - dt.timedelta(days=20),
    )

    assert [risk.clears.split()[0] for risk in risks_of(deal)] == ["Move", "Log"]


def test_a_nightly_flag_the_live_rule_no_longer_holds_says_it_will_clear(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=5),
        stage_entered_at=NOW - dt.timedelta(days=5),
        last_touch_at=NOW - dt.timedelta(days=1),
        stale_since=dt.date(2026, 6, 1),
    )

    [risk] = risks_of(deal)

    assert risk.since == dt.date(2026, 6, 1)
    assert risk.clears == "Nothing to do: the next nightly check clears the flag."


def test_overdue_task_past_close_and_missing_decision_maker_are_explained(offer):
    deal = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=3),
        stage_entered_at=NOW - dt.timedelta(days=3),
        last_touch_at=NOW - dt.timedelta(days=1),
        expected_close_date=dt.date(2026, 6, 10),
    )

    risks = risks_of(
        deal,
        next_task_due=dt.datetime(2026, 6, 14, 9, 0, tzinfo=dt.UTC),
        open_stages_balance=1,
        has_decision_maker=False,
    )

    assert [(risk.kind, risk.since) for risk in risks] == [
        ("overdue_task", dt.date(2026, 6, 14)),
        ("past_close", dt.date(2026, 6, 11)),
        ("no_decision_maker", None),
    ]


def test_a_healthy_or_closed_deal_has_no_risks(offer):
    fresh = OpportunityFactory(
        stage=offer,
        created_at=NOW - dt.timedelta(days=3),
        stage_entered_at=NOW - dt.timedelta(days=3),
        last_touch_at=NOW - dt.timedelta(days=1),
    )
    won = OpportunityFactory(
        stage=StageFactory(pipeline=offer.pipeline, kind="won", probability=100),
        status=OpportunityStatus.WON,
        closed_at=NOW - dt.timedelta(days=50),
        created_at=NOW - dt.timedelta(days=90),
        stage_entered_at=NOW - dt.timedelta(days=50),
        expected_close_date=dt.date(2026, 1, 1),
    )

    assert risks_of(fresh) == []
    assert risks_of(won) == []
