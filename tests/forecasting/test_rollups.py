"""The daily rollups: kept exact by the services, imports and the nightly recount, and read
by the reports with the same answers as the deals give."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.build import pipeline_build
from forecasting.cycles import SalesCycle, sales_cycle, sales_cycle_by_person
from forecasting.jobs import recount_rollups
from forecasting.models import DealDay, ReportZone, WonCycleMonth
from forecasting.outcomes import Closed, closed, closed_by_person, won_by_owner, won_values
from forecasting.periods import month_of, parse_period
from forecasting.rollup_reads import histogram_percentile, rollup_zone
from forecasting.rollup_upkeep import drift, rebuild
from forecasting.scope import ReportScope
from pipeline.models import Opportunity, OpportunityStatus, StageKind
from pipeline.services.opportunities import create_opportunity
from tests.deal_changes import edit, move
from tests.factories import (
    CompanyFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    UserFactory,
)
from tests.imports.importing import run_import

Q2_2025 = parse_period("2025-Q2")


@pytest.fixture
def sales(db):
    pipeline = PipelineFactory(name="Sales", position=0)
    return {
        "pipeline": pipeline,
        "open": StageFactory(pipeline=pipeline, name="Proposal", position=1, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=2, kind=StageKind.WON, probability=100
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=3, kind=StageKind.LOST, probability=0
        ),
    }


@pytest.fixture
def kept(db, alice, bob, maria):
    """Rollups kept in the site's zone (UTC in tests), ready to be read."""
    rebuild()
    assert list(ReportZone.objects.values_list("name", "ready")) == [("UTC", True)]


def new_deal(sales, owner, value="1000.00", currency="EUR"):
    return create_opportunity(
        by=owner,
        title="Deal",
        pipeline=sales["pipeline"],
        value=Decimal(value),
        currency=currency,
        company=CompanyFactory(owner=owner),
        owner=owner,
    )


def today_row(owner, currency="EUR"):
    return DealDay.objects.values_list(
        "created_count", "created_value", "won_count", "won_value", "lost_count"
    ).get(zone="UTC", owner=owner, day=timezone.localdate(), currency=currency)


def test_every_service_change_keeps_the_rollups_equal_to_a_recount(sales, kept, alice, bob, maria):
    first, second, third = (new_deal(sales, alice, value) for value in ("1000", "3000", "500"))
    assert today_row(alice) == (3, Decimal("4500.00"), 0, Decimal("0.00"), 0)

    move(first, sales["won"], alice)
    move(second, sales["lost"], alice, lost_reason="Price")
    assert today_row(alice) == (3, Decimal("4500.00"), 1, Decimal("1000.00"), 1)
    assert drift() == []

    move(second, sales["open"], alice)  # reopened: no longer lost
    edit(first, alice, value=Decimal("1200.00"))  # a won deal's value corrected
    assert today_row(alice) == (3, Decimal("4700.00"), 1, Decimal("1200.00"), 0)
    assert drift() == []

    edit(first, maria, owner=bob)  # the win moves with the deal to its new owner
    edit(third, alice, currency="USD")
    assert today_row(alice) == (1, Decimal("3000.00"), 0, Decimal("0.00"), 0)
    assert today_row(alice, "USD") == (1, Decimal("500.00"), 0, Decimal("0.00"), 0)
    assert today_row(bob) == (1, Decimal("1200.00"), 1, Decimal("1200.00"), 0)
    assert drift() == []

    move(third, sales["open"], alice)  # a reorder in its column: nothing reported changes
    assert drift() == []
    # The month's cycle histogram has the one win, begun and won today: 0 days.
    assert list(
        WonCycleMonth.objects.filter(count__gt=0).values_list("owner", "days", "count")
    ) == [(bob.pk, 0, 1)]


def test_the_admin_deleting_a_deal_takes_it_out_of_the_rollups(client, sales, kept, alice):
    deal = new_deal(sales, alice, "800")
    move(deal, sales["won"], alice)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/pipeline/opportunity/{deal.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert not Opportunity.objects.filter(pk=deal.pk).exists()
    assert today_row(alice) == (0, Decimal("0.00"), 0, Decimal("0.00"), 0)
    assert drift() == []


IMPORT = """external_id,title,company,stage,status,value,created_at,won_at,lost_at,lost_reason
D-1,Renewal,Acme,Proposal,won,1000.00,2025-04-01,2025-04-11,,
D-2,Upsell,Acme,Proposal,won,3000.00,2025-01-10,2025-05-20,,
D-3,Pilot,Acme,Proposal,lost,200.00,2025-04-02,,2025-06-30,Price
D-4,Expansion,Acme,Proposal,open,900.00,2025-06-01,,,
"""


def test_an_imported_history_is_in_the_rollups_and_the_reports(sales, kept, alice, maria):
    CompanyFactory(name="Acme", owner=alice)

    result = run_import(alice, "deals", IMPORT)

    assert result.rejections == []
    assert drift() == []
    scope = ReportScope(maria, Q2_2025)
    assert rollup_zone(scope) == "UTC"
    assert closed(scope) == Closed(won=2, lost=1)
    [eur] = won_values(scope, medians=False)
    assert (eur.count, eur.total, eur.average) == (2, Decimal("4000.00"), Decimal("2000.00"))
    # Cycles of 10 and 130 days: the median between them, the 80th percentile at 0.8.
    assert sales_cycle(scope) == SalesCycle(
        count=2, median_days=Decimal("70.0"), mean_days=Decimal("70.0"), p80_days=Decimal("106.0")
    )

    # Imported again with one deal's value corrected: the difference, nothing twice.
    again = run_import(
        alice,
        "deals",
        IMPORT.replace(
            "D-1,Renewal,Acme,Proposal,won,1000.00", "D-1,Renewal,Acme,Proposal,won,1500.00"
        ),
    )

    assert (again.outcome.updated, again.rejections) == (4, [])
    assert drift() == []
    [eur] = won_values(ReportScope(maria, Q2_2025), medians=False)
    assert (eur.count, eur.total) == (2, Decimal("4500.00"))


def test_the_figures_read_from_rollups_are_those_the_deals_give(sales, alice, bob, maria):
    def won_deal(owner, value, created, won, currency="EUR"):
        OpportunityFactory(
            owner=owner,
            stage=sales["won"],
            status=OpportunityStatus.WON,
            value=Decimal(value),
            currency=currency,
            created_at=dt.datetime(2025, *created, 9, tzinfo=dt.UTC),
            closed_at=dt.datetime(2025, *won, 17, tzinfo=dt.UTC),
        )

    won_deal(alice, "1000.00", (4, 1), (4, 10))  # 9 days
    won_deal(alice, "3000.00", (4, 1), (5, 20))  # 49 days
    won_deal(bob, "600.00", (6, 1), (6, 2), currency="USD")  # 1 day
    won_deal(bob, "400.00", (3, 1), (3, 30))  # Q1: not counted
    OpportunityFactory(
        owner=bob,
        stage=sales["lost"],
        status=OpportunityStatus.LOST,
        lost_reason="Price",
        created_at=dt.datetime(2025, 6, 3, tzinfo=dt.UTC),
        closed_at=dt.datetime(2025, 6, 4, tzinfo=dt.UTC),
    )

    def figures():
        scope = ReportScope(maria, Q2_2025)
        return (
            rollup_zone(scope),
            closed(scope),
            closed_by_person(scope),
            won_values(scope, medians=False),
            sales_cycle(scope),
            sales_cycle_by_person(scope),
            pipeline_build(scope, today=dt.date(2025, 6, 30)).created,
            sorted(won_by_owner(scope)),
        )

    from_deals = figures()
    rebuild()
    from_rollups = figures()

    assert (from_deals[0], from_rollups[0]) == (None, "UTC")
    assert from_rollups[1:] == from_deals[1:]
    assert from_rollups[1] == Closed(won=3, lost=1)
    assert from_rollups[4] == SalesCycle(
        count=3, median_days=Decimal("9.0"), mean_days=Decimal("19.7"), p80_days=Decimal("33.0")
    )
    # Twelve weeks to the week of 30 June 2025, from 14 April: a deal created on Sunday
    # 1 June (the week of 26 May) and one on Tuesday 3 June (the week of 2 June).
    assert from_rollups[6] == [0] * 6 + [1, 1] + [0] * 4
    # Bob's lost deal and his Q1 win add nothing to Q2's won values.
    assert from_rollups[7] == [
        (alice.pk, alice.team_id, "EUR", Decimal("4000.00")),
        (bob.pk, bob.team_id, "USD", Decimal("600.00")),
    ]


def test_a_write_around_the_services_shows_as_drift_until_the_nightly_recount(
    sales, kept, alice, maria
):
    OpportunityFactory(owner=alice, stage=sales["open"], value=Decimal("250.00"))

    assert drift() == [
        f"forecasting_dealday ('UTC', {alice.pk}, {timezone.localdate()!r}, "
        f"{sales['pipeline'].pk}, 'EUR'): None, recounted [1, Decimal('250.00'), 0, 0, 0]"
    ]
    assert recount_rollups(timezone.localdate()) == 1
    assert drift() == []


def test_a_zone_without_rollups_counts_from_the_deals(sales, kept, alice, maria):
    new_deal(sales, alice)
    OpportunityFactory(  # around the services: only the deals know of it
        owner=alice,
        stage=sales["won"],
        status=OpportunityStatus.WON,
        closed_at=timezone.now(),
    )
    this_month = month_of(timezone.localdate())

    assert closed(ReportScope(maria, this_month)) == Closed(won=0, lost=0)
    with timezone.override("Pacific/Auckland"):
        scope = ReportScope(maria, month_of(timezone.localdate()))
        assert rollup_zone(scope) is None
        assert closed(scope) == Closed(won=1, lost=0)


def test_a_product_filter_counts_from_the_deals(sales, kept, maria):
    scope = ReportScope(maria, Q2_2025, product_id=1)

    assert rollup_zone(scope) is None


def test_a_user_in_another_zone_gets_rollups_kept_in_it(sales, alice, maria):
    alice.time_zone = "Asia/Jakarta"
    alice.save(update_fields=["time_zone"])

    rebuild()

    assert list(ReportZone.objects.order_by("name").values_list("name", flat=True)) == [
        "Asia/Jakarta",
        "UTC",
    ]


@pytest.mark.parametrize(
    ("counts", "fraction", "expected"),
    [
        ([(1, 1), (2, 1), (10, 2)], 0.5, 6.0),  # 1, 2, 10, 10: between 2 and 10
        ([(1, 1), (2, 1), (10, 2)], 0.8, 10.0),
        ([(5, 3)], 0.5, 5.0),
        ([(3, 0)], 0.5, None),
        ([(4, 1), (0, 1)], 0.5, 2.0),  # unsorted, two values
    ],
)
def test_histogram_percentiles_interpolate_as_percentile_cont(counts, fraction, expected):
    assert histogram_percentile(counts, fraction) == expected
