"""Win rate, won value and the sales cycle on small histories whose answers are worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.cycles import sales_cycle, sales_cycle_by_person
from forecasting.outcomes import (
    Closed,
    closed,
    closed_by_person,
    won_values,
    won_values_by_person,
)
from forecasting.periods import parse_period
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory, UserFactory

Q2 = parse_period("2026-Q2")


def at(day, hour=12):
    return dt.datetime(2026, *day, hour, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "open": StageFactory(pipeline=pipeline, name="Offer", probability=50),
        "won": StageFactory(pipeline=pipeline, name="Won", kind=StageKind.WON, probability=100),
        "lost": StageFactory(pipeline=pipeline, name="Lost", kind=StageKind.LOST, probability=0),
    }


def won(stages, owner, value, closed_on, *, created=(1, 1), engaged=None, currency="EUR"):
    return OpportunityFactory(
        owner=owner,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal(value),
        currency=currency,
        created_at=at(created),
        first_engaged_at=at(engaged) if engaged else None,
        closed_at=at(closed_on),
    )


def lost(stages, owner, closed_on):
    return OpportunityFactory(
        owner=owner,
        stage=stages["lost"],
        status=OpportunityStatus.LOST,
        value=Decimal("100.00"),
        created_at=at((1, 1)),
        closed_at=at(closed_on),
        lost_reason="Price",
    )


@pytest.fixture
def history(stages, alice, bob):
    """Alice: 3 won (EUR 1,000, 3,000 and 8,000) and 1 lost in Q2, 1 won in Q1, 1 USD won;
    Bob: 1 lost in Q2 and a deal reopened after being lost (open again); nobody else."""
    won(stages, alice, "1000.00", (4, 10), created=(4, 1))  # 9 days
    won(stages, alice, "3000.00", (5, 20), created=(1, 1), engaged=(5, 1))  # 19 days
    won(stages, alice, "8000.00", (6, 30), created=(3, 1), engaged=(3, 31))  # 91 days
    won(stages, alice, "500.00", (3, 31), created=(3, 1))  # Q1: not counted
    won(stages, alice, "700.00", (5, 5), created=(5, 4), currency="USD")  # 1 day
    lost(stages, alice, (5, 1))
    lost(stages, bob, (6, 1))
    # Lost in May, reopened since: open deals are in no win rate.
    OpportunityFactory(owner=bob, stage=stages["open"], created_at=at((4, 1)))


def test_win_rate_counts_deals_closed_in_the_period_only(history, maria):
    scope = ReportScope(maria, Q2)

    # Won: 3 EUR + 1 USD in Q2; lost: Alice's and Bob's. 4 / 6.
    assert closed(scope) == Closed(won=4, lost=2)
    assert closed(scope).win_rate == Decimal("0.6667")


def test_win_rate_per_person_lists_everyone_and_divides_by_nothing_for_the_empty(
    history, maria, alice, bob
):
    carol = UserFactory(username="carol", team=alice.team)

    rates = closed_by_person(ReportScope(maria, Q2))

    assert rates[alice.pk] == Closed(won=4, lost=1)
    assert rates[alice.pk].win_rate == Decimal("0.8000")
    assert rates[bob.pk].win_rate == Decimal("0")
    assert rates[carol.pk] == Closed()
    assert rates[carol.pk].win_rate is None
    assert rates[maria.pk].win_rate is None


def test_an_empty_period_has_no_win_rate_and_no_won_value(history, maria):
    scope = ReportScope(maria, parse_period("2025-Q2"))

    assert closed(scope).win_rate is None
    assert won_values(scope) == []
    assert sales_cycle(scope).count == 0
    assert sales_cycle(scope).median_days is None


def test_won_value_is_per_currency_with_average_and_median(history, maria):
    eur, usd = won_values(ReportScope(maria, Q2))

    assert (eur.currency, eur.count, eur.total) == ("EUR", 3, Decimal("12000.00"))
    assert eur.average == Decimal("4000.00")
    assert eur.median == Decimal("3000.00")
    assert (usd.currency, usd.count, usd.total, usd.median) == (
        "USD",
        1,
        Decimal("700.00"),
        Decimal("700.00"),
    )


def test_an_even_count_median_lies_between_the_middle_two(stages, alice, maria):
    for value in ("100.00", "200.00", "400.00", "1000.00"):
        won(stages, alice, value, (5, 1))

    [eur] = won_values(ReportScope(maria, Q2))

    assert eur.median == Decimal("300.00")


def test_won_value_per_person_lists_everyone(history, maria, alice, bob):
    values = won_values_by_person(ReportScope(maria, Q2))

    assert [(v.currency, v.total) for v in values[alice.pk]] == [
        ("EUR", Decimal("12000.00")),
        ("USD", Decimal("700.00")),
    ]
    assert values[bob.pk] == []


def test_sales_cycle_runs_from_first_engaged_else_created_in_whole_days(history, maria, alice):
    cycle = sales_cycle(ReportScope(maria, Q2))

    # Cycles 1, 9, 19, 91 days: median (9 + 19) / 2 = 14; mean 120 / 4 = 30;
    # 80th percentile at position 0.8 x 3 = 2.4: 19 + 0.4 x (91 - 19) = 47.8.
    assert cycle.count == 4
    assert cycle.median_days == Decimal("14.0")
    assert cycle.mean_days == Decimal("30.0")
    assert cycle.p80_days == Decimal("47.8")


def test_a_deal_won_36_hours_after_it_began_took_one_day(stages, alice, maria):
    OpportunityFactory(
        owner=alice,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        created_at=dt.datetime(2026, 5, 1, 0, 0, tzinfo=dt.UTC),
        closed_at=dt.datetime(2026, 5, 2, 12, 0, tzinfo=dt.UTC),
    )

    assert sales_cycle(ReportScope(maria, Q2)).median_days == Decimal("1.0")


def test_sales_cycle_per_person_and_other_pipelines_filtered_out(history, maria, alice, bob):
    other = PipelineFactory(name="Renewals")
    renewal_won = StageFactory(pipeline=other, kind=StageKind.WON, probability=100)
    OpportunityFactory(
        owner=bob,
        stage=renewal_won,
        status=OpportunityStatus.WON,
        created_at=at((4, 1)),
        closed_at=at((4, 3)),
    )

    cycles = sales_cycle_by_person(ReportScope(maria, Q2))
    assert cycles[alice.pk].count == 4
    assert cycles[bob.pk].median_days == Decimal("2.0")

    first = ReportScope(maria, Q2, pipeline_id=history_pipeline(alice))
    assert sales_cycle_by_person(first)[bob.pk].count == 0


def history_pipeline(owner):
    return owner.opportunities.values_list("pipeline_id", flat=True).first()


def test_the_period_is_read_in_the_users_zone(stages, alice, maria):
    # 31 March 22:00 in New York is 1 April 02:00 UTC: a Q1 win there.
    won(stages, alice, "900.00", (4, 1), created=(3, 1))
    moved = alice.opportunities.get()
    moved.closed_at = dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    moved.save(update_fields=["closed_at"])

    with timezone.override("America/New_York"):
        assert won_values(ReportScope(maria, Q2)) == []
    assert won_values(ReportScope(maria, Q2))[0].total == Decimal("900.00")


@pytest.mark.parametrize("extra_deals", [0, 12])
def test_queries_do_not_grow_with_deals_or_people(
    stages, alice, maria, extra_deals, django_assert_num_queries
):
    for number in range(extra_deals):
        owner = alice if number % 2 else UserFactory(team=alice.team)
        won(stages, owner, f"{100 + number}.00", (5, 1 + number))
        lost(stages, owner, (5, 2))
    scope = ReportScope(maria, Q2)

    # The first figure asks whether the user's zone has rollups (it has none here).
    with django_assert_num_queries(2):
        closed(scope)
    with django_assert_num_queries(2):
        closed_by_person(scope)
    with django_assert_num_queries(2):
        won_values(scope)
    with django_assert_num_queries(3):
        won_values_by_person(scope)
    with django_assert_num_queries(3):
        sales_cycle(scope)
    with django_assert_num_queries(4):
        sales_cycle_by_person(scope)
