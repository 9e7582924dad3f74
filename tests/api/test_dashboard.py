"""``GET /api/dashboard/``: the dashboard's figures for the caller's scope, and only theirs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.models import PipelineSnapshot
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    QuotaFactory,
    StageFactory,
    TouchpointFactory,
)

MAY = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=1, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=2, kind=StageKind.WON, probability=100
        ),
    }


def won(stages, owner, value):
    return OpportunityFactory(
        owner=owner,
        stage=stages["won"],
        status=OpportunityStatus.WON,
        value=Decimal(value),
        first_engaged_at=MAY - dt.timedelta(days=6),
        closed_at=MAY,
    )


def test_a_manager_gets_the_teams_dashboard(api_as, stages, maria, alice, bob, north, charlie):
    won(stages, alice, "3000.00")
    won(stages, charlie, "99999.00")  # South
    deal = OpportunityFactory(owner=bob, stage=stages["offer"], value=Decimal("800.00"))
    TouchpointFactory.create_batch(2, opportunity=deal, at=MAY + dt.timedelta(days=8))
    QuotaFactory(
        user=None,
        team=north,
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 6, 30),
        amount=Decimal("6000.00"),
    )

    response = api_as(maria).get("/api/dashboard/?period=2026-Q2&since=2026-05-01")

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"name": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30"}
    assert body["attainment"] == [
        {
            "currency": "EUR",
            "won_count": 1,
            "won": "3000.00",
            "quota": "6000.00",
            "percent": 50,
        }
    ]
    assert [(s["stage_name"], s["count"], s["value"], s["weighted"]) for s in body["stages"]] == [
        ("Offer", 1, "800.00", "400.00")
    ]
    assert len(body["build"]["weeks"]) == 12
    assert body["movement"]["since"] == "2026-05-01"
    people = {person["id"]: person for person in body["people"]}
    assert set(people) == {alice.pk, bob.pk, maria.pk}
    assert (people[alice.pk]["won"], people[alice.pk]["cycle_days"]) == (1, "6.0")
    assert people[alice.pk]["average_won"] == {"EUR": "3000.00"}
    assert people[bob.pk]["activity"] == 2
    weeks = {week["week"]: week["touchpoints"] for week in people[bob.pk]["activity_by_week"]}
    assert weeks["2026-05-11"] == 2
    assert sum(weeks.values()) == 2


def test_movement_runs_from_the_night_given_to_tonight(api_as, stages, alice):
    deal = OpportunityFactory(owner=alice, stage=stages["offer"], value=Decimal("700.00"))
    for night, value in [(dt.date(2026, 5, 1), "500.00"), (timezone.localdate(), "700.00")]:
        PipelineSnapshot.objects.create(
            opportunity=deal,
            taken_on=night,
            pipeline=stages["offer"].pipeline,
            stage=stages["offer"],
            owner=alice,
            value=Decimal(value),
            currency="EUR",
            probability=50,
            forecast_category="pipeline",
        )

    body = api_as(alice).get("/api/dashboard/?period=2026-Q2&since=2026-05-01").json()

    [eur] = body["movement"]["currencies"]
    assert (eur["new"], eur["advanced"], eur["value_changed"], eur["value_change"]) == (
        0,
        0,
        1,
        "200.00",
    )
    assert body["movement"]["until"] == timezone.localdate().isoformat()


def test_another_team_sees_none_of_it(api_as, stages, alice, charlie):
    won(stages, alice, "3000.00")

    body = api_as(charlie).get("/api/dashboard/?period=2026-Q2").json()

    assert body["attainment"] == []
    assert [person["id"] for person in body["people"]] == [charlie.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-Q5", "period"),
        ("team=abc", "team"),
        ("since=2026-02-31", "since"),
        ("since=soon", "since"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_as, alice, query, field):
    response = api_as(alice).get(f"/api/dashboard/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("extra", [0, 8])
def test_the_same_queries_at_any_size(
    api_as, stages, maria, alice, bob, extra, django_assert_num_queries
):
    client = api_as(maria)
    for number in range(extra):
        won(stages, alice if number % 2 else bob, f"{100 + number}.00")
        OpportunityFactory(owner=bob, stage=stages["offer"])

    # Fixed, whatever the deals: the session and the user, then the dashboard's figures
    # and the activity by week; the quotas and the open deals are read once for all the
    # figures. The snapshot readings are read once for every owner first.
    client.get("/api/dashboard/?period=2026-Q2")
    with django_assert_num_queries(39):
        response = client.get("/api/dashboard/?period=2026-Q2")
    assert response.status_code == 200
