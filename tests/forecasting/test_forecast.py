"""The period's forecast on a hand-built pipeline: answers worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.forecast import forecast
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory, OpportunityStatus
from tests.factories import OpportunityFactory
from tests.forecasting.histories import at, deal_with, make_stages

Q3 = parse_period("2026-Q3")
NOW = at(2026, 7, 15)


@pytest.fixture
def stages(db):
    return make_stages(qualify=20, offer=60)


def open_deal(stages, owner, stage, value, category, entered, currency="EUR", close=None):
    return OpportunityFactory(
        owner=owner,
        stage=stages[stage],
        value=Decimal(value),
        currency=currency,
        forecast_category=category,
        stage_entered_at=entered,
        expected_close_date=close or dt.date(2026, 9, 15),
    )


@pytest.fixture
def pipeline(stages, alice, bob, charlie):
    # History: five deals in Offer when Q2 began, one of them won in Q2: Offer's observed
    # chance is 0.2 for deals up to 30 days in; Qualify has no history (configured stands in).
    for index in range(5):
        outcome = ("won", at(2026, 5, 1)) if index == 0 else ("lost", at(2026, 5, 1))
        deal_with(stages, alice, [("offer", at(2026, 3, 20)), outcome])
    open_deal(stages, alice, "offer", "10000.00", ForecastCategory.COMMIT, at(2026, 7, 1))
    open_deal(stages, alice, "qualify", "5000.00", ForecastCategory.BEST_CASE, at(2026, 7, 1))
    open_deal(stages, alice, "offer", "2000.00", ForecastCategory.PIPELINE, at(2026, 7, 1), "USD")
    # Expected next quarter: not in Q3's forecast.
    open_deal(
        stages,
        alice,
        "offer",
        "3000.00",
        ForecastCategory.COMMIT,
        at(2026, 7, 1),
        close=dt.date(2026, 10, 5),
    )
    open_deal(stages, bob, "offer", "1000.00", ForecastCategory.OMITTED, at(2026, 7, 10))
    OpportunityFactory(
        owner=bob,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal("4000.00"),
        closed_at=at(2026, 7, 5),
    )
    # Another team's deal: not Maria's to forecast.
    open_deal(stages, charlie, "offer", "50000.00", ForecastCategory.COMMIT, at(2026, 7, 1))


def test_total_has_won_weighted_observed_and_categories(pipeline, maria):
    report = forecast(ReportScope(maria, Q3), now=NOW)
    eur, usd = report.total.currencies

    assert eur.currency == "EUR"
    assert eur.won == Decimal("4000.00")
    assert (eur.open_count, eur.open_value) == (3, Decimal("16000.00"))
    # 10,000 x 0.6 + 5,000 x 0.2 + 1,000 x 0.6
    assert eur.weighted == Decimal("7600.00")
    # 10,000 x 0.2 (observed) + 5,000 x 0.2 (configured, no history) + 1,000 x 0.2
    assert eur.observed == Decimal("3200.00")
    assert eur.configured_fallbacks == 1
    assert eur.expected_weighted == Decimal("11600.00")
    assert eur.expected_observed == Decimal("7200.00")
    assert eur.categories == {
        "commit": Decimal("10000.00"),
        "best_case": Decimal("5000.00"),
        "pipeline": Decimal("0.00"),
        "omitted": Decimal("1000.00"),
    }
    assert eur.category_counts["commit"] == 1
    assert (usd.currency, usd.weighted, usd.observed) == (
        "USD",
        Decimal("1200.00"),
        Decimal("400.00"),
    )
    assert usd.categories["pipeline"] == Decimal("2000.00")


def test_every_seller_has_a_row_and_teams_add_up(pipeline, maria, alice, bob):
    report = forecast(ReportScope(maria, Q3), now=NOW)
    people = {row.key: row for row in report.people}

    assert set(people) == {maria.pk, alice.pk, bob.pk}
    assert people[maria.pk].currencies == []
    alice_eur = people[alice.pk].by_currency["EUR"]
    assert (alice_eur.won, alice_eur.weighted, alice_eur.observed) == (
        Decimal("0.00"),
        Decimal("7000.00"),
        Decimal("3000.00"),
    )
    bob_eur = people[bob.pk].by_currency["EUR"]
    assert (bob_eur.won, bob_eur.weighted, bob_eur.observed) == (
        Decimal("4000.00"),
        Decimal("600.00"),
        Decimal("200.00"),
    )
    [north] = report.teams
    assert north.name == "North"
    assert north.by_currency["EUR"].weighted == Decimal("7600.00")


def test_a_rep_forecasts_only_their_own_deals(pipeline, bob):
    report = forecast(ReportScope(bob, Q3), now=NOW)

    [eur] = report.total.currencies
    assert (eur.won, eur.weighted) == (Decimal("4000.00"), Decimal("600.00"))
    assert [row.key for row in report.people] == [bob.pk]


def test_an_empty_period_forecasts_nothing(stages, maria):
    report = forecast(ReportScope(maria, Q3), now=NOW)

    assert report.total.currencies == []
    assert [row.currencies for row in report.people] == [[]]


def test_query_count_does_not_grow_with_deals(stages, alice, maria, django_assert_num_queries):
    def count_with(deals):
        for _ in range(deals):
            open_deal(stages, alice, "offer", "100.00", ForecastCategory.COMMIT, at(2026, 7, 1))
        # Six of them are the observed chances': with no zone kept (none here), the stages,
        # the zone and each of the 4 quarters counted.
        with django_assert_num_queries(9):
            forecast(ReportScope(maria, Q3), now=NOW)

    count_with(2)
    count_with(20)
