"""Observed chances of reaching Won within a period, from hand-written stage histories."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import DateTimeField, F, Value

from forecasting.days import WholeDays
from forecasting.observed import (
    MIN_OBSERVATIONS,
    age_bucket,
    bucket_since,
    observed_chances,
    trailing_window,
)
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import Opportunity
from tests.factories import OpportunityFactory
from tests.forecasting.histories import at, deal_with, make_stages

Q3 = parse_period("2026-Q3")


@pytest.fixture
def stages(db):
    return make_stages()


@pytest.fixture
def history(stages, alice, bob, charlie):
    # In Offer when Q2 began (1 Apr), 11 days in: five deals, three won during Q2.
    for index in range(5):
        outcome = ("won", at(2026, 5, 10)) if index < 3 else ("lost", at(2026, 6, 1))
        deal_with(stages, alice, [("qualify", at(2026, 3, 1)), ("offer", at(2026, 3, 20)), outcome])
    # In Offer when Q2 began, 89 days in: four deals, one won in Q2, one won in Q3 (too late).
    deal_with(stages, bob, [("offer", at(2026, 1, 1)), ("won", at(2026, 6, 30))])
    deal_with(stages, bob, [("offer", at(2026, 1, 1)), ("won", at(2026, 7, 2))])
    deal_with(stages, bob, [("offer", at(2026, 1, 1))])
    # Lost in May, reopened into Offer and won in June: reached Won within Q2.
    deal_with(
        stages,
        bob,
        [
            ("offer", at(2026, 1, 1)),
            ("lost", at(2026, 5, 1)),
            ("offer", at(2026, 6, 1)),
            ("won", at(2026, 6, 20)),
        ],
    )
    # Left Offer for Qualify before Q2 began: observed in Qualify, not Offer.
    deal_with(stages, bob, [("offer", at(2026, 3, 1)), ("qualify", at(2026, 3, 25))])
    # Another team's deal: Alice's team cannot see it, so it is no history of theirs.
    deal_with(stages, charlie, [("offer", at(2026, 3, 20)), ("won", at(2026, 4, 5))])


def by_name(chances):
    return {stage.stage_name: stage for stage in chances}


def test_window_is_the_four_quarters_before_the_period():
    names = [period.token for period in trailing_window(Q3)]

    assert names == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert len(trailing_window(parse_period("2026-07"))) == 12


def test_chance_by_age_bucket_counts_deals_in_the_stage_at_period_start(history, maria):
    offer = by_name(observed_chances(ReportScope(maria, Q3)))["Offer"]
    young, middle, old = offer.by_age

    # 0-30 days: 5 observed, 3 won in Q2.
    assert (young.observed, young.won, young.chance) == (5, 3, Decimal("0.6000"))
    # 31-90 days: 4 observed (89 days in), 2 won within Q2 (one in Q3 does not count).
    assert (middle.observed, middle.won) == (4, 2)
    assert middle.chance is None  # fewer than five observations
    assert (old.observed, old.won) == (0, 0)
    # Overall: 9 observed, 5 won.
    assert offer.overall.chance == Decimal("0.5556")
    assert offer.observed_percent == 56
    assert offer.configured == 60


def test_a_deal_that_left_the_stage_before_the_period_is_observed_where_it_went(history, maria):
    qualify = by_name(observed_chances(ReportScope(maria, Q3)))["Qualify"]

    # At 1 Apr: the deal moved to Qualify on 25 Mar (6 days). At 1 Jan nothing was in Qualify.
    assert [(chance.observed, chance.won) for chance in qualify.by_age] == [(1, 0), (0, 0), (0, 0)]
    assert qualify.overall.chance is None


def test_age_lookup_falls_back_to_the_stage_overall(history, maria):
    offer = by_name(observed_chances(ReportScope(maria, Q3)))["Offer"]

    assert offer.chance_for_age(3) == Decimal("0.6000")
    assert offer.chance_for_age(60) == Decimal("0.5556")
    assert offer.chance_for_age(400) == Decimal("0.5556")


def test_no_history_gives_no_chance(stages, maria):
    offer = by_name(observed_chances(ReportScope(maria, Q3)))["Offer"]

    assert offer.overall.observed == 0
    assert offer.overall.chance is None
    assert MIN_OBSERVATIONS == 5


def test_query_count_does_not_grow_with_history(stages, alice, maria, django_assert_num_queries):
    def count_with(deals):
        for _ in range(deals):
            deal_with(stages, alice, [("offer", at(2026, 3, 20)), ("won", at(2026, 5, 1))])
        # Stages, whether the zone is kept (not here: nothing stored), one per quarter.
        with django_assert_num_queries(6):
            observed_chances(ReportScope(maria, Q3))

    count_with(2)
    count_with(20)


def test_changes_at_the_same_instant_leave_the_deal_in_the_later_recorded_stage(
    stages, alice, maria
):
    # Both moves on 20 Mar at noon; Qualify was recorded second, so it is where the deal was.
    deal_with(stages, alice, [("offer", at(2026, 3, 20)), ("qualify", at(2026, 3, 20))])

    chances = by_name(observed_chances(ReportScope(maria, Q3)))

    assert [(c.observed, c.won) for c in chances["Qualify"].by_age] == [(1, 0), (0, 0), (0, 0)]
    assert chances["Offer"].overall.observed == 0


def test_a_change_at_the_period_start_is_where_the_deal_was_when_it_began(stages, alice, maria):
    q2_start = trailing_window(Q3)[-1].start_at
    # Moved into Offer at the very start of Q2: observed there, 0 days in, won in May.
    deal_with(
        stages, alice, [("qualify", at(2026, 3, 1)), ("offer", q2_start), ("won", at(2026, 5, 1))]
    )
    # Won at the very start of Q2: no longer open then, so observed nowhere.
    deal_with(stages, alice, [("offer", at(2026, 3, 1)), ("won", q2_start)])

    chances = by_name(observed_chances(ReportScope(maria, Q3)))

    assert [(c.observed, c.won) for c in chances["Offer"].by_age] == [(1, 1), (0, 0), (0, 0)]
    assert chances["Qualify"].overall.observed == 0


def test_the_age_bucket_by_entry_time_agrees_with_whole_days_at_each_edge(alice):
    stages = make_stages()
    now = dt.datetime(2026, 12, 3, 15, 30, tzinfo=dt.UTC)
    # A millisecond: SQLite's julianday() does not tell microseconds apart.
    day, tick = dt.timedelta(days=1), dt.timedelta(milliseconds=1)
    # Spans on each side of 31 and 91 whole days, the buckets' edges.
    spans = {
        "today": dt.timedelta(0),
        "30 days and nearly one more": 31 * day - tick,
        "31 days": 31 * day,
        "90 days and nearly one more": 91 * day - tick,
        "91 days": 91 * day,
    }
    for title, span in spans.items():
        OpportunityFactory(
            title=title, owner=alice, stage=stages["offer"], stage_entered_at=now - span
        )
    whole_days = WholeDays(Value(now, output_field=DateTimeField()), F("stage_entered_at"))

    rows = (
        Opportunity.objects.alias(days=whole_days)
        .annotate(by_entry=bucket_since("stage_entered_at", now), by_days=age_bucket(F("days")))
        .values_list("title", "by_entry", "by_days")
    )

    assert sorted(rows) == sorted(
        [
            ("today", 0, 0),
            ("30 days and nearly one more", 0, 0),
            ("31 days", 1, 1),
            ("90 days and nearly one more", 1, 1),
            ("91 days", 2, 2),
        ]
    )
