"""What it takes to make quota, from a rep's own record; answers worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from contacts.models import LeadStatus
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from forecasting.what_it_takes import PUSH_FOR_CLOSING, PUSH_FOR_LEADS, what_it_takes
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import (
    LeadFactory,
    OpportunityFactory,
    PipelineFactory,
    QuotaFactory,
    StageFactory,
)

Q2 = parse_period("2026-Q2")
JUNE = dt.date(2026, 6, 1)


def last_year(month, day=15):
    return dt.datetime(2025, month, day, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory()
    return {
        "open": StageFactory(pipeline=pipeline, probability=50),
        "won": StageFactory(pipeline=pipeline, kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, kind=StageKind.LOST, probability=0),
    }


@pytest.fixture
def record(stages, alice):
    """Alice's twelve months before Q2: won 2 (avg 2,500), lost 2; 10 leads, 4 converted.
    In Q2 so far: won 3,000 of a 13,000 quota."""
    for value in ("2000.00", "3000.00"):
        OpportunityFactory(
            owner=alice,
            stage=stages["won"],
            status=OpportunityStatus.WON,
            value=Decimal(value),
            closed_at=last_year(6),
        )
    for _ in range(2):
        OpportunityFactory(
            owner=alice,
            stage=stages["lost"],
            status=OpportunityStatus.LOST,
            closed_at=last_year(9),
            lost_reason="Price",
        )
    for number in range(10):
        converted = number < 4
        LeadFactory(
            owner=alice,
            created_at=last_year(5),
            status=LeadStatus.CONVERTED if converted else LeadStatus.NEW,
            converted_at=last_year(7) if converted else None,
        )
    OpportunityFactory(
        owner=alice,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal("3000.00"),
        closed_at=dt.datetime(2026, 4, 20, tzinfo=dt.UTC),
    )
    QuotaFactory(
        user=alice,
        team=None,
        period_start=Q2.start,
        period_end=Q2.end,
        amount=Decimal("13000.00"),
        currency="EUR",
    )


def test_the_remaining_quota_in_wins_qualified_deals_and_leads(record, alice):
    [need] = what_it_takes(ReportScope(alice, Q2))

    # 10,000 left / 2,500 = 4 wins; / 0.5 win rate = 8 qualified deals; / 0.4 = 20 leads.
    assert need.remaining == Decimal("10000.00")
    assert (need.wins_needed, need.qualified_needed, need.leads_needed) == (4, 8, 20)
    # No open deal closing in Q2: more must come in.
    assert need.verdict == PUSH_FOR_LEADS


def test_enough_open_deals_in_the_period_means_push_for_closing(record, stages, alice):
    for _ in range(8):
        OpportunityFactory(
            owner=alice, stage=stages["open"], expected_close_date=dt.date(2026, 6, 1)
        )

    [need] = what_it_takes(ReportScope(alice, Q2))

    assert need.open_in_period == 8
    assert need.verdict == PUSH_FOR_CLOSING


def test_without_history_the_needs_are_unknown_not_divided_by_zero(stages, alice):
    QuotaFactory(
        user=alice,
        team=None,
        period_start=Q2.start,
        period_end=Q2.end,
        amount=Decimal("5000.00"),
        currency="EUR",
    )

    [need] = what_it_takes(ReportScope(alice, Q2))

    assert (need.average_won, need.win_rate, need.lead_conversion) == (None, None, None)
    assert (need.wins_needed, need.qualified_needed, need.leads_needed) == (None, None, None)


def test_a_met_or_zero_quota_needs_nothing_and_no_quota_gives_no_answer(record, alice, bob):
    QuotaFactory(
        user=bob,
        team=None,
        period_start=Q2.start,
        period_end=Q2.end,
        amount=Decimal("0.00"),
        currency="EUR",
    )

    [need] = what_it_takes(ReportScope(bob, Q2))
    assert (need.remaining, need.wins_needed, need.verdict) == (Decimal("0.00"), 0, None)
    assert what_it_takes(ReportScope(alice, parse_period("2026-Q3"))) == []


@pytest.mark.parametrize("extra", [0, 5])
def test_queries_do_not_grow(record, stages, alice, extra, django_assert_num_queries):
    for _ in range(extra):
        OpportunityFactory(
            owner=alice, stage=stages["open"], expected_close_date=dt.date(2026, 6, 1)
        )
        LeadFactory(owner=alice, created_at=last_year(5))

    with django_assert_num_queries(8):
        what_it_takes(ReportScope(alice, Q2))
