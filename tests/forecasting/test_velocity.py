"""Sales velocity and pipeline coverage on hand-built pipelines, answers worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.periods import parse_period
from forecasting.quotas import quotas_in_scope
from forecasting.scope import ReportScope
from forecasting.velocity import pipeline_coverage, sales_velocity
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, QuotaFactory, StageFactory

Q2 = parse_period("2026-Q2")


def at(month, day):
    return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "early": StageFactory(pipeline=pipeline, name="Qualify", probability=20),
        "late": StageFactory(pipeline=pipeline, name="Offer", probability=75),
        "won": StageFactory(pipeline=pipeline, name="Won", kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, name="Lost", kind=StageKind.LOST, probability=0),
    }


def open_deal(stages, owner, stage, value, close=dt.date(2026, 6, 15), currency="EUR"):
    return OpportunityFactory(
        owner=owner,
        stage=stages[stage],
        value=Decimal(value),
        currency=currency,
        expected_close_date=close,
    )


def won(stages, owner, value, created, closed_at, currency="EUR"):
    return OpportunityFactory(
        owner=owner,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal(value),
        currency=currency,
        created_at=created,
        closed_at=closed_at,
    )


@pytest.fixture
def pipeline(stages, alice, bob):
    """Q2: 2 won (EUR 4,000 in 10 days, EUR 2,000 in 30 days), 2 lost; 5 open deals."""
    won(stages, alice, "4000.00", at(4, 1), at(4, 11))
    won(stages, bob, "2000.00", at(4, 1), at(5, 1))
    for owner in (alice, bob):
        OpportunityFactory(
            owner=owner,
            stage=stages["lost"],
            status=OpportunityStatus.LOST,
            closed_at=at(5, 2),
            lost_reason="Price",
        )
    open_deal(stages, alice, "early", "10000.00")  # 2,000 weighted
    open_deal(stages, alice, "late", "4000.00")  # 3,000 weighted
    open_deal(stages, bob, "late", "8000.00", close=dt.date(2026, 7, 1))  # next quarter
    open_deal(stages, bob, "early", "1000.00", close=None)  # no close date
    open_deal(stages, bob, "late", "2000.00", currency="USD")  # 1,500 USD weighted


def test_velocity_is_open_deals_times_win_rate_times_average_won_over_median_cycle(pipeline, maria):
    eur, usd = sales_velocity(ReportScope(maria, Q2))

    # EUR: 4 open x 0.5 x 3,000 / 20 days (median of 10 and 30) = 300 a day.
    assert (eur.open_deals, eur.win_rate, eur.average_won) == (
        4,
        Decimal("0.5000"),
        Decimal("3000.00"),
    )
    assert eur.median_cycle_days == Decimal("20.0")
    assert eur.per_day == Decimal("300.00")
    # Nothing won in USD: no average, no velocity.
    assert (usd.currency, usd.open_deals, usd.per_day) == ("USD", 1, None)


def test_no_closed_deal_means_no_velocity(stages, alice, maria):
    open_deal(stages, alice, "late", "1000.00")

    [eur] = sales_velocity(ReportScope(maria, Q2))

    assert eur.win_rate is None
    assert eur.per_day is None


def test_coverage_is_weighted_pipeline_closing_in_period_over_quota_left(pipeline, maria, north):
    QuotaFactory(
        team=north,
        user=None,
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
        amount=Decimal("10000.00"),
        currency="EUR",
    )

    eur, usd = pipeline_coverage(ReportScope(maria, Q2))

    # Weighted closing in Q2: 2,000 + 3,000 = 5,000; left: 10,000 - 6,000 won = 4,000.
    assert eur.weighted_open == Decimal("5000.00")
    assert eur.remaining == Decimal("4000.00")
    assert eur.ratio == Decimal("1.25")
    # No USD quota: no coverage.
    assert (usd.weighted_open, usd.quota, usd.ratio) == (Decimal("1500.00"), None, None)


@pytest.mark.parametrize("amount", ["0.00", "5000.00"])
def test_a_zero_quota_or_one_already_met_has_no_coverage(pipeline, maria, north, amount):
    QuotaFactory(
        team=north,
        user=None,
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
        amount=Decimal(amount),
        currency="EUR",
    )

    eur = pipeline_coverage(ReportScope(maria, Q2))[0]

    assert eur.remaining == Decimal("0.00")
    assert eur.ratio is None


def test_monthly_quotas_add_up_to_the_quarter_and_a_rep_sees_their_own(stages, alice, maria):
    for month in (4, 5, 6):
        QuotaFactory(
            user=alice,
            team=None,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            amount=Decimal("1000.00"),
            currency="EUR",
        )

    assert quotas_in_scope(ReportScope(alice, Q2)) == {"EUR": Decimal("3000.00")}
    assert quotas_in_scope(ReportScope(maria, Q2, rep_id=alice.pk)) == {"EUR": Decimal("3000.00")}
    # North has no quota of its own: the manager's scope defaults to the sum of its reps'.
    assert quotas_in_scope(ReportScope(maria, Q2)) == {"EUR": Decimal("3000.00")}


@pytest.mark.parametrize("extra", [0, 10])
def test_queries_do_not_grow_with_deals(stages, alice, maria, extra, django_assert_num_queries):
    for number in range(extra):
        open_deal(stages, alice, "late", f"{1000 + number}.00")
        won(stages, alice, "500.00", at(4, 1), at(4, 2 + number))
    scope = ReportScope(maria, Q2)

    with django_assert_num_queries(7):
        sales_velocity(scope)
    # The open deals were read by velocity for this scope: the stages, the quotas and the
    # wins (read again without medians) are left; a scope of its own reads its open deals.
    with django_assert_num_queries(3):
        pipeline_coverage(scope)
    with django_assert_num_queries(5):
        pipeline_coverage(ReportScope(maria, Q2))
