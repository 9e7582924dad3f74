"""``GET /api/metrics/``: the period's metrics for the caller's scope, and only theirs."""

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.models import OpportunityStatus, StageChange, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    QuotaFactory,
    StageFactory,
    TouchpointFactory,
    UserFactory,
)


def at(month, day):
    return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=1, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=2, kind=StageKind.WON, probability=100
        ),
    }


def won(stages, owner, value, month=5):
    deal = OpportunityFactory(
        owner=owner,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal(value),
        created_at=at(month, 1),
        closed_at=at(month, 11),
    )
    StageChange.objects.create(opportunity=deal, to_stage=stages["offer"], at=at(month, 1))
    StageChange.objects.create(
        opportunity=deal, from_stage=stages["offer"], to_stage=stages["won"], at=at(month, 11)
    )
    return deal


def test_a_manager_gets_the_teams_figures_and_every_seller(api_as, stages, maria, alice, bob):
    won(stages, alice, "1000.00")
    won(stages, alice, "3000.00")
    TouchpointFactory(opportunity=alice.opportunities.first(), by=alice, kind="call", at=at(5, 2))

    body = api_as(maria).get("/api/metrics/?period=2026-Q2").json()

    assert body["period"] == {"name": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30"}
    assert body["closed"] == {"won": 2, "lost": 0, "win_rate": "1.0000"}
    assert body["won"] == [
        {
            "currency": "EUR",
            "count": 2,
            "total": "4000.00",
            "average": "2000.00",
            "median": "2000.00",
        }
    ]
    assert body["sales_cycle"]["median_days"] == "10.0"
    assert body["funnel"][0]["stage_name"] == "Offer"
    assert body["funnel"][0]["entered"] == 2
    people = {person["id"]: person for person in body["people"]}
    assert set(people) == {maria.pk, alice.pk, bob.pk}
    assert people[alice.pk]["activity"]["touchpoints"]["call"] == 1
    assert people[bob.pk]["closed"]["win_rate"] is None


def test_another_team_sees_none_of_it(api_as, stages, alice, charlie):
    won(stages, alice, "1000.00")

    body = api_as(charlie).get("/api/metrics/?period=2026-Q2").json()

    assert body["closed"] == {"won": 0, "lost": 0, "win_rate": None}
    assert body["won"] == []
    assert [person["id"] for person in body["people"]] == [charlie.pk]


def test_naming_someone_out_of_sight_gives_an_empty_report(api_as, stages, alice, charlie):
    won(stages, alice, "1000.00")

    body = api_as(charlie).get(f"/api/metrics/?period=2026-Q2&rep={alice.pk}").json()

    assert body["won"] == []
    assert body["people"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-Q5", "period"),
        ("period=0000-Q1", "period"),
        ("team=abc", "team"),
        ("rep=0", "rep"),
        ("lead_source=tv", "lead_source"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_as, alice, query, field):
    response = api_as(alice).get(f"/api/metrics/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_filters_narrow_the_figures(api_as, stages, maria, alice, bob):
    won(stages, alice, "1000.00")
    won(stages, bob, "5000.00")

    body = api_as(maria).get(f"/api/metrics/?period=2026-Q2&rep={bob.pk}").json()

    assert body["won"][0]["total"] == "5000.00"
    assert [person["id"] for person in body["people"]] == [bob.pk]


@pytest.mark.parametrize("extra", [0, 8])
def test_the_same_queries_at_any_size(
    api_as, stages, maria, alice, extra, django_assert_num_queries
):
    client = api_as(maria)
    for number in range(extra):
        won(stages, alice if number % 2 else UserFactory(team=alice.team), f"{100 + number}.00")

    QuotaFactory(
        user=None,
        team=maria.team,
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
    )
    # Fixed, whatever the deals: the session and the user, then every metric's own
    # queries (scope people 1; per seller: closed 2, won 3, cycle 4, activity 4; the
    # scope: closed 1, won 2, cycle 3, velocity 7, coverage 4, funnel 4, what it takes 8).
    with django_assert_num_queries(42):
        response = client.get("/api/metrics/?period=2026-Q2")
    assert response.status_code == 200
