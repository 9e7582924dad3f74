"""Pipeline build: deals created per week against the weekly need; answers worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.build import build_weeks, needed_per_week, pipeline_build
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, QuotaFactory, StageFactory

Q3 = parse_period("2026-Q3")  # 92 days: 13 1/7 weeks
WEDNESDAY = dt.date(2026, 8, 12)


def at(day, hour=12):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory()
    return {
        "open": StageFactory(pipeline=pipeline, probability=50),
        "won": StageFactory(pipeline=pipeline, kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, kind=StageKind.LOST, probability=0),
    }


@pytest.fixture
def history(stages, alice):
    """Alice in the twelve months before Q3: won 2,000 and 3,000 (average 2,500), lost 2."""
    for value in ("2000.00", "3000.00"):
        OpportunityFactory(
            owner=alice,
            stage=stages["won"],
            status=OpportunityStatus.WON,
            value=Decimal(value),
            closed_at=at(dt.date(2026, 3, 2)),
            created_at=at(dt.date(2026, 1, 5)),
        )
    for _ in range(2):
        OpportunityFactory(
            owner=alice,
            stage=stages["lost"],
            status=OpportunityStatus.LOST,
            lost_reason="Price",
            closed_at=at(dt.date(2026, 4, 1)),
            created_at=at(dt.date(2026, 1, 5)),
        )


def test_twelve_weeks_end_with_this_week_or_the_periods_last():
    scope = ReportScope(None, Q3)  # the weeks need no user

    weeks = build_weeks(scope, today=WEDNESDAY)
    assert (weeks[0], weeks[-1], len(weeks)) == (dt.date(2026, 5, 25), dt.date(2026, 8, 10), 12)
    # Long after the period: its own last twelve weeks (30 September is a Wednesday).
    later = build_weeks(scope, today=dt.date(2027, 2, 1))
    assert (later[0], later[-1]) == (dt.date(2026, 7, 13), dt.date(2026, 9, 28))


def test_created_per_week_and_the_need_at_the_historys_rates(alice, stages, history):
    QuotaFactory(user=alice, period_start=Q3.start, period_end=Q3.end, amount=Decimal("23000.00"))
    for day in (dt.date(2026, 8, 10), dt.date(2026, 8, 11), dt.date(2026, 5, 25)):
        OpportunityFactory(owner=alice, stage=stages["open"], created_at=at(day))
    # Sunday before the first week, and another team's deal: neither counts.
    OpportunityFactory(owner=alice, stage=stages["open"], created_at=at(dt.date(2026, 5, 24)))
    OpportunityFactory(stage=stages["open"], created_at=at(dt.date(2026, 8, 11)))

    build = pipeline_build(ReportScope(alice, Q3), today=WEDNESDAY)

    assert build.created == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    # 23,000 / (0.5 x 2,500) = 18.4 deals over 92 / 7 weeks: 1.4 a week.
    assert build.needed_per_week == Decimal("1.4")


def test_no_quota_needs_nothing_and_an_unpriced_quota_is_unknown(alice, stages):
    scope = ReportScope(alice, Q3)
    assert needed_per_week(scope) == Decimal("0.0")

    QuotaFactory(user=alice, period_start=Q3.start, period_end=Q3.end, amount=Decimal("10.00"))
    # No history: no win rate, no average won value, never a division by zero. (A new
    # report: a scope reads its quotas once.)
    assert needed_per_week(ReportScope(alice, Q3)) is None


def test_a_zero_quota_needs_nothing(alice, stages):
    QuotaFactory(user=alice, period_start=Q3.start, period_end=Q3.end, amount=Decimal("0.00"))

    assert needed_per_week(ReportScope(alice, Q3)) == Decimal("0.0")
