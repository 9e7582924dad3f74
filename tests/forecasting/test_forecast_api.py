"""The forecast, its adjustments and the backtest through the API."""

import datetime as dt
from decimal import Decimal

import pytest

from forecasting.models import ForecastAdjustment, PipelineSnapshot
from pipeline.models import ForecastCategory
from tests.factories import OpportunityFactory, QuotaFactory
from tests.forecasting.histories import at, deal_with, make_stages

REPORT = "/api/forecast/report/"
ADJUSTMENTS = "/api/forecast/adjustments/"
BACKTEST = "/api/forecast/backtest/"
Q3 = {"period": "2026-Q3"}


@pytest.fixture
def stages(db):
    return make_stages(qualify=20, offer=60)


def commit_deal(stages, owner, value):
    return OpportunityFactory(
        owner=owner,
        stage=stages["offer"],
        value=Decimal(value),
        forecast_category=ForecastCategory.COMMIT,
        expected_close_date=dt.date(2026, 8, 1),
        stage_entered_at=at(2026, 7, 1),
    )


@pytest.fixture
def pipeline(stages, alice, bob, charlie, north):
    commit_deal(stages, alice, "10000.00")
    commit_deal(stages, bob, "4000.00")
    commit_deal(stages, charlie, "99000.00")
    QuotaFactory(
        user=None,
        team=north,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal("20000.00"),
    )


def test_report_has_totals_people_stages_and_plan(api_as, pipeline, maria, alice, bob):
    body = api_as(maria).get(REPORT, Q3).json()

    [eur] = body["total"]["currencies"]
    # 14,000 of commit at Offer's 60 %; no history, so observed uses 60 % too.
    assert (eur["currency"], eur["weighted"], eur["observed"], eur["configured_fallbacks"]) == (
        "EUR",
        "8400.00",
        "8400.00",
        2,
    )
    assert eur["categories"]["commit"] == "14000.00"
    assert {person["id"] for person in body["people"]} == {maria.pk, alice.pk, bob.pk}
    [team] = body["teams"]
    assert team["name"] == "North"
    offer = next(stage for stage in body["stages"] if stage["stage_name"] == "Offer")
    assert (offer["configured"], offer["observed"], offer["observations"]) == (60, None, 0)
    [plan] = body["plans"]
    assert (plan["gap"], plan["plan_a_total"], plan["plan_a_covers"]) == (
        "20000.00",
        "14000.00",
        False,
    )


def test_bad_period_is_a_400_naming_the_field(api_as, maria):
    for url in (REPORT, ADJUSTMENTS, BACKTEST):
        response = api_as(maria).get(url, {"period": "2026-13"})
        assert response.status_code == 400, url
        assert "period" in str(response.json()), url


def test_manager_adjusts_a_rep_call(api_as, pipeline, maria, alice):
    response = api_as(maria).post(
        ADJUSTMENTS,
        {
            "rep": alice.pk,
            "period": "2026-Q3",
            "category": "commit",
            "currency": "EUR",
            "amount": "8000.00",
            "note": "Slipping",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["from_amount"], body["to_amount"], body["adjusted_by"]) == (
        "10000.00",
        "8000.00",
        maria.pk,
    )
    listed = api_as(maria).get(ADJUSTMENTS, Q3).json()
    assert [row["id"] for row in listed] == [body["id"]]


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_reps_and_other_managers_get_403(api_as, pipeline, request, who, alice):
    response = api_as(request.getfixturevalue(who)).post(
        ADJUSTMENTS,
        {
            "rep": alice.pk,
            "period": "2026-Q3",
            "category": "commit",
            "currency": "EUR",
            "amount": "1.00",
        },
        format="json",
    )

    assert response.status_code == 403
    assert not ForecastAdjustment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2026-Q3", "category": "commit", "currency": "EUR", "amount": "1"}, "rep"),
        (
            {"rep": 1, "period": "Q3", "category": "commit", "currency": "EUR", "amount": "1"},
            "period",
        ),
        (
            {"rep": 1, "period": "2026-Q3", "category": "closed", "currency": "EUR", "amount": "1"},
            "category",
        ),
        (
            {"rep": 1, "period": "2026-Q3", "category": "commit", "currency": "XXY", "amount": "1"},
            "currency",
        ),
        (
            {
                "rep": 1,
                "period": "2026-Q3",
                "category": "commit",
                "currency": "EUR",
                "amount": "-1",
            },
            "amount",
        ),
    ],
)
def test_bad_adjustments_name_the_field(api_as, maria, body, field):
    response = api_as(maria).post(ADJUSTMENTS, body, format="json")

    assert response.status_code == 400
    assert field in str(response.json())


def test_backtest_reports_each_method(api_as, stages, alice, maria):
    deal = deal_with(stages, alice, [("offer", at(2026, 3, 20)), ("won", at(2026, 5, 20))])
    PipelineSnapshot.objects.create(
        taken_on=dt.date(2026, 4, 1),
        opportunity=deal,
        pipeline=stages["offer"].pipeline,
        stage=stages["offer"],
        owner=alice,
        value=deal.value,
        currency="EUR",
        probability=60,
        forecast_category="commit",
        expected_close_date=dt.date(2026, 6, 1),
    )

    total, north = api_as(maria).get(BACKTEST, Q3).json()

    # 1,000 won; configured 600 (-40 %); no history before Q2: observed falls back to 600;
    # commit 1,000 (0 %).
    assert (total["team"], north["team_name"]) == (None, "North")
    assert {m["method"]: m["mape"] for m in total["methods"]} == {
        "configured": "40.0",
        "observed": "40.0",
        "commit": "0.0",
    }
    assert total["best_method"] == "commit"


# Two to authenticate; the report: observed chances (1 + 4), people, open deals, wins and the
# plan (quotas, won totals and medians, plan A's totals and deals, plan B); adjustments:
# their history; backtest: the stored snapshot readings and their rows (nothing to replay).
@pytest.mark.parametrize(("url", "queries"), [(REPORT, 16), (ADJUSTMENTS, 3), (BACKTEST, 4)])
def test_query_counts_do_not_grow_with_deals(
    api_as, stages, maria, alice, north, url, queries, django_assert_num_queries
):
    QuotaFactory(
        user=None, team=north, period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30)
    )
    client = api_as(maria)

    def count_with(deals):
        for _ in range(deals):
            commit_deal(stages, alice, "100.00")
        client.get(url, Q3)  # the snapshot readings, read once for every owner
        with django_assert_num_queries(queries):
            assert client.get(url, Q3).status_code == 200

    count_with(2)
    count_with(20)
