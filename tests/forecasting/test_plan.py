"""The gap to quota and plans A and B on a hand-built pipeline, answers worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.periods import parse_period
from forecasting.plan import gap_plan
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory, OpportunityStatus
from tests.factories import OpportunityFactory, QuotaFactory, StageFactory
from tests.forecasting.histories import at, deal_with, make_stages

Q3 = parse_period("2026-Q3")
NOW = at(2026, 7, 15)
COMMIT, BEST, PIPE, OMIT = (
    ForecastCategory.COMMIT,
    ForecastCategory.BEST_CASE,
    ForecastCategory.PIPELINE,
    ForecastCategory.OMITTED,
)


@pytest.fixture
def stages(db):
    stages = make_stages(qualify=20, offer=60)
    stages["contact"] = StageFactory(
        pipeline=stages["offer"].pipeline, name="Contact", position=0, probability=10
    )
    return stages


def deal(stages, owner, title, stage, value, category, close=dt.date(2026, 9, 1), **fields):
    return OpportunityFactory(
        owner=owner,
        title=title,
        stage=stages[stage],
        value=Decimal(value),
        forecast_category=category,
        expected_close_date=close,
        stage_entered_at=at(2026, 7, 1),
        **fields,
    )


@pytest.fixture
def pipeline(stages, alice):
    QuotaFactory(
        user=alice,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal("30000.00"),
    )
    # History: of five deals in Offer when Q2 began, four were won in Q2 (observed 0.8).
    for index in range(5):
        outcome = ("won", at(2026, 5, 1)) if index < 4 else ("lost", at(2026, 5, 1))
        deal_with(stages, alice, [("offer", at(2026, 3, 20)), outcome])
    OpportunityFactory(
        owner=alice,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal("5000.00"),
        closed_at=at(2026, 7, 10),
    )
    deal(stages, alice, "A", "offer", "8000.00", COMMIT)
    deal(stages, alice, "B", "qualify", "4000.00", BEST)
    deal(stages, alice, "C", "offer", "6000.00", BEST)
    deal(stages, alice, "D", "qualify", "10000.00", PIPE)
    deal(stages, alice, "E", "offer", "3000.00", PIPE)
    deal(stages, alice, "F", "offer", "20000.00", OMIT)
    q4 = dt.date(2026, 11, 1)
    deal(stages, alice, "G", "offer", "9000.00", PIPE, close=q4)
    deal(stages, alice, "H", "contact", "50000.00", PIPE, close=q4)  # not an advanced stage
    deal(stages, alice, "I", "offer", "40000.00", OMIT, close=q4)
    deal(stages, alice, "J", "offer", "70000.00", COMMIT, currency="USD")  # no USD quota


def test_gap_is_quota_minus_won_and_plan_a_is_commit_and_best_case(pipeline, alice):
    [eur] = gap_plan(ReportScope(alice, Q3), now=NOW)

    assert (eur.currency, eur.quota, eur.won, eur.gap) == (
        "EUR",
        Decimal("30000.00"),
        Decimal("5000.00"),
        Decimal("25000.00"),
    )
    assert (eur.commit_total, eur.best_case_total, eur.plan_a_total) == (
        Decimal("8000.00"),
        Decimal("4000.00") + Decimal("6000.00"),
        Decimal("18000.00"),
    )
    assert [d.title for d in eur.plan_a] == ["A", "C", "B"]
    assert eur.plan_a_covers is False


def test_plan_b_ranks_by_expected_value_until_the_gap_left_by_commit_is_covered(pipeline, alice):
    [eur] = gap_plan(ReportScope(alice, Q3), now=NOW)

    # Target 25,000 - 8,000 = 17,000. Expected: G 9,000 x 0.8 = 7,200 (next quarter, Offer),
    # C 6,000 x 0.8 = 4,800, E 3,000 x 0.8 = 2,400, D 10,000 x 0.2 = 2,000, B 800.
    # Values G 9,000 + C 6,000 + E 3,000 = 18,000 cover 17,000: D and B are not needed.
    assert eur.plan_b_target == Decimal("17000.00")
    assert [(d.title, d.expected_value) for d in eur.plan_b] == [
        ("G", Decimal("7200.00")),
        ("C", Decimal("4800.00")),
        ("E", Decimal("2400.00")),
    ]
    assert [d.next_period for d in eur.plan_b] == [True, False, False]
    assert eur.plan_b_total == Decimal("18000.00")
    assert eur.plan_b_covers is True


def test_no_quota_no_plan_and_a_zero_quota_needs_nothing(stages, alice, bob):
    assert gap_plan(ReportScope(alice, Q3), now=NOW) == []

    QuotaFactory(user=bob, period_start=Q3.start, period_end=Q3.end, amount=Decimal("0.00"))
    deal(stages, bob, "K", "offer", "1000.00", PIPE)
    [eur] = gap_plan(ReportScope(bob, Q3), now=NOW)
    assert (eur.gap, eur.plan_a_covers, eur.plan_b) == (Decimal("0.00"), True, [])


def test_query_count_does_not_grow_with_deals(stages, alice, django_assert_num_queries):
    QuotaFactory(user=alice, period_start=Q3.start, period_end=Q3.end)

    def count_with(deals):
        for index in range(deals):
            deal(stages, alice, f"N{index}", "offer", "100.00", BEST)
        with django_assert_num_queries(11):
            gap_plan(ReportScope(alice, Q3), now=NOW)

    count_with(2)
    count_with(20)
