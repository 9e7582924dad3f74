"""Quotas and the forecast summary through the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting.models import Quota
from tests.factories import OpportunityFactory, QuotaFactory


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_quotas_each_role_may_see(api_as, alice, bob, maria, charlie, ada, north):
    alices = QuotaFactory(user=alice)
    bobs = QuotaFactory(user=bob)
    teams = QuotaFactory(user=None, team=north)
    charlies = QuotaFactory(user=charlie)

    assert ids(api_as(alice).get("/api/quotas/")) == {alices.pk, bobs.pk, teams.pk}
    assert ids(api_as(maria).get("/api/quotas/")) == {alices.pk, bobs.pk, teams.pk}
    assert ids(api_as(charlie).get("/api/quotas/")) == {charlies.pk}
    assert ids(api_as(ada).get("/api/quotas/")) == {alices.pk, bobs.pk, teams.pk, charlies.pk}


def quota_payload(owner, **changes):
    return {
        "user": owner.pk,
        "period_start": "2027-01-01",
        "period_end": "2027-03-31",
        "amount": "1.00",
        **changes,
    }


def test_a_rep_sets_no_quota(api_as, alice):
    quota = QuotaFactory(user=alice)
    client = api_as(alice)

    created = client.post("/api/quotas/", quota_payload(alice), format="json")
    changed = client.patch(f"/api/quotas/{quota.pk}/", {"amount": "1.00"}, format="json")
    removed = client.delete(f"/api/quotas/{quota.pk}/")

    assert (created.status_code, changed.status_code, removed.status_code) == (403, 403, 403)
    quota.refresh_from_db()
    assert quota.amount == Decimal("100000.00")
    assert Quota.objects.count() == 1


def test_a_manager_sets_their_reps_and_teams_quotas(api_as, maria, alice, north):
    client = api_as(maria)

    for_alice = client.post("/api/quotas/", quota_payload(alice), format="json")
    for_north = client.post(
        "/api/quotas/", {**quota_payload(alice), "user": None, "team": north.pk}, format="json"
    )
    changed = client.patch(
        f"/api/quotas/{for_alice.json()['id']}/", {"amount": "2.50"}, format="json"
    )

    assert (for_alice.status_code, for_north.status_code, changed.status_code) == (201, 201, 200)
    assert list(Quota.objects.values_list("user__username", "team__name", "amount")) == [
        ("alice", None, Decimal("2.50")),
        (None, "North", Decimal("1.00")),
    ]


def test_a_manager_cannot_set_their_own_or_another_teams_quota(api_as, maria, sam, alice, charlie):
    own = QuotaFactory(user=maria)
    alices = QuotaFactory(user=alice)
    client = api_as(maria)

    created_own = client.post("/api/quotas/", quota_payload(maria), format="json")
    created_other = client.post("/api/quotas/", quota_payload(charlie), format="json")
    changed_own = client.patch(f"/api/quotas/{own.pk}/", {"amount": "1.00"}, format="json")
    # Sam does not even see North's quotas.
    changed_by_sam = api_as(sam).patch(f"/api/quotas/{alices.pk}/", {"amount": "1"}, format="json")

    assert (created_own.status_code, created_other.status_code) == (403, 403)
    assert (changed_own.status_code, changed_by_sam.status_code) == (403, 404)
    assert set(Quota.objects.values_list("amount", flat=True)) == {Decimal("100000.00")}


def test_a_month_in_a_quarterly_year_names_period_start(api_as, ada, alice):
    QuotaFactory(user=alice, period_start=dt.date(2027, 4, 1), period_end=dt.date(2027, 6, 30))

    response = api_as(ada).post(
        "/api/quotas/",
        quota_payload(alice, period_start="2027-07-01", period_end="2027-07-31"),
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period_start"]
    assert Quota.objects.count() == 1


def test_a_span_that_is_no_month_or_quarter_is_refused(api_as, ada, alice):
    response = api_as(ada).post(
        "/api/quotas/", quota_payload(alice, period_end="2027-02-14"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period_start"]
    assert not Quota.objects.exists()


def test_admin_sets_changes_and_removes_a_quota(api_as, ada, alice):
    client = api_as(ada)

    created = client.post(
        "/api/quotas/",
        {
            "user": alice.pk,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "amount": "150000.00",
            "currency": "EUR",
        },
        format="json",
    )
    url = f"/api/quotas/{created.json()['id']}/"
    changed = client.patch(url, {"amount": "160000.00"}, format="json")
    removed = client.delete(url)

    assert created.status_code == 201, created.json()
    assert changed.json()["amount"] == "160000.00"
    assert removed.status_code == 204
    assert not Quota.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"user": None}, "user"),
        ({"period_end": "2026-12-01"}, "period_end"),
        ({"amount": "-5"}, "amount"),
        ({"currency": "euro"}, "currency"),
    ],
)
def test_bad_quotas_name_the_field(api_as, ada, alice, payload, field):
    base = {
        "user": alice.pk,
        "period_start": "2027-01-01",
        "period_end": "2027-03-31",
        "amount": "1.00",
    }

    response = api_as(ada).post("/api/quotas/", {**base, **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Quota.objects.exists()


def test_a_quota_for_both_a_user_and_a_team_names_user(api_as, ada, alice, north):
    response = api_as(ada).post(
        "/api/quotas/",
        {
            "user": alice.pk,
            "team": north.pk,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "amount": "1.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["user"]


def test_a_second_quota_for_the_same_start_names_period_start(api_as, ada, alice):
    QuotaFactory(user=alice, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 3, 31))

    response = api_as(ada).post(
        "/api/quotas/",
        {
            "user": alice.pk,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "amount": "1.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period_start"]


def test_forecast_summary_gives_the_dashboards_figures(api_as, alice, bob, sales):
    OpportunityFactory(owner=alice, stage=sales.proposal, value=Decimal("1000.00"))
    OpportunityFactory(owner=bob, stage=sales.proposal, value=Decimal("5000.00"))
    today = timezone.localdate()
    OpportunityFactory(
        owner=alice,
        stage=sales.won,
        status="won",
        closed_at=timezone.now(),
        value=Decimal("300.00"),
    )
    QuotaFactory(
        user=alice, period_start=today.replace(day=1), period_end=today, amount=Decimal("1200.00")
    )

    body = api_as(alice).get("/api/forecast/").json()

    assert body["scope"] == "Your deals"
    assert body["open_pipeline"] == [
        {
            "pipeline": sales.pipeline.pk,
            "pipeline_name": "New business",
            "currency": "EUR",
            "count": 1,
            "value": "1000.00",
            "weighted": "600.00",
        }
    ]
    assert body["attainment"] == [
        {"currency": "EUR", "won_count": 1, "won": "300.00", "quota": "1200.00", "percent": 25}
    ]


def test_forecast_for_another_quarter_and_a_bad_date(api_as, alice):
    other = api_as(alice).get("/api/forecast/?date=2026-02-14")
    bad = api_as(alice).get("/api/forecast/?date=soon")

    assert other.json()["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    assert bad.status_code == 400
    assert list(bad.json()) == ["date"]
