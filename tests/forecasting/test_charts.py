"""The dashboard's chart endpoints and CSV downloads: JSON per chart, scope, query counts."""

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.periods import quarter_of
from forecasting.services import adjust_forecast
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    QuotaFactory,
    StageFactory,
    TouchpointFactory,
)
from tests.html import elements

# session, user, the form's choice checks, then the chart's own metric queries.
# Stages: the scope's open deals in groups, then the stages they name.
CHART_QUERIES = {"stages": 5, "activity": 8, "build": 6, "attainment": 8}
# session, user, the pickers' checks and every figure of the manager's dashboard.
# (the forecast table: its stage chances, people, open and won deals, adjusted calls;
# the backtest: one query without snapshots); the scope's quotas are read once, and so are
# its open deals (grouped, and their stages) for stages, velocity, coverage and coaching.
CSV_QUERIES = 46


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "early": StageFactory(pipeline=pipeline, name="Early", position=1, probability=20),
        "late": StageFactory(pipeline=pipeline, name="Late", position=2, probability=60),
        "won": StageFactory(pipeline=pipeline, name="Won", probability=100, kind=StageKind.WON),
    }


def chart(client, user, name, status=200, **query):
    client.force_login(user)
    response = client.get(reverse("forecasting:chart", args=[name]), query)
    assert response.status_code == status
    return response.json() if status != 404 else None


def test_stages_chart_counts_open_deals_per_stage_in_scope(client, maria, alice, charlie, board):
    OpportunityFactory.create_batch(2, owner=alice, stage=board["early"])
    OpportunityFactory(owner=alice, stage=board["late"])
    OpportunityFactory(owner=charlie, stage=board["late"])  # South

    data = chart(client, maria, "stages")

    assert data["labels"] == ["New business: Early", "New business: Late"]
    assert data["datasets"][0]["data"] == [2, 1]


def test_activity_chart_counts_touchpoints_per_week_of_the_period(client, alice, board):
    deal = OpportunityFactory(owner=alice, stage=board["early"])
    TouchpointFactory.create_batch(2, opportunity=deal, at=dt.datetime(2026, 7, 8, tzinfo=dt.UTC))
    TouchpointFactory(opportunity=deal, at=dt.datetime(2026, 9, 30, 9, tzinfo=dt.UTC))

    data = chart(client, alice, "activity", period="2026-Q3")

    # Q3 2026 touches 14 weeks, from Monday 29 June to Monday 28 September.
    assert (len(data["labels"]), data["labels"][0], data["labels"][-1]) == (
        14,
        "06/29/2026",
        "09/28/2026",
    )
    assert data["datasets"][0]["data"] == [0, 2] + [0] * 11 + [1]


def test_attainment_chart_has_won_and_quota_per_seller(client, maria, alice, bob, board):
    quarter = quarter_of(timezone.localdate())
    OpportunityFactory(
        owner=alice,
        stage=board["won"],
        status=OpportunityStatus.WON,
        value=Decimal("250.50"),
        closed_at=timezone.now(),
    )
    QuotaFactory(
        user=alice, period_start=quarter.start, period_end=quarter.end, amount=Decimal("1000.00")
    )

    data = chart(client, maria, "attainment", rep="")

    names = data["labels"]
    won, quota = data["datasets"]
    assert (won["label"], quota["label"]) == ("Won (EUR)", "Quota (EUR)")
    by_name = dict(zip(names, zip(won["data"], quota["data"], strict=True), strict=True))
    assert by_name[str(alice)] == ("250.50", "1000.00")
    assert by_name[str(bob)] == ("0.00", None)


def test_build_chart_has_twelve_weeks_and_the_need(client, alice, board):
    data = chart(client, alice, "build")

    assert len(data["labels"]) == 12
    created, needed = data["datasets"]
    assert created["data"] == [0] * 11 + [0]
    assert needed["data"] == ["0.0"] * 12  # no quota: nothing needed


def test_unknown_chart_is_404_and_a_bad_picker_400_naming_it(client, maria, db):
    chart(client, maria, "secrets", status=404)

    errors = chart(client, maria, "stages", status=400, period="2026-Q9")["errors"]
    assert list(errors) == ["period"]


def test_charts_are_canvases_with_their_urls_and_no_inline_script(client, maria, db):
    client.force_login(maria)
    content = client.get(reverse("forecasting:dashboard"), {"period": "2026-Q3"}).content

    urls = sorted(c.attrs["data-chart-url"] for c in elements(content, "canvas"))
    assert urls == [
        f"/dashboard/charts/{name}/?period=2026-Q3"
        for name in ("activity", "attainment", "build", "stages")
    ]
    scripts = elements(content, "script")
    assert all(script.attrs.get("src") for script in scripts)
    assert "/static/vendor/chartjs-4.6.1/chart.umd.min.js" in [s.attrs["src"] for s in scripts]


def grow(board, alice, times):
    for _ in range(times):
        deal = OpportunityFactory(owner=alice, stage=board["late"])
        TouchpointFactory(opportunity=deal, at=timezone.now())
        OpportunityFactory(
            owner=alice,
            stage=board["won"],
            status=OpportunityStatus.WON,
            closed_at=timezone.now(),
        )


@pytest.mark.parametrize("name", sorted(CHART_QUERIES))
def test_chart_query_count_does_not_grow_with_deals(
    client, maria, alice, board, name, django_assert_num_queries
):
    client.force_login(maria)
    url = reverse("forecasting:chart", args=[name])
    grow(board, alice, 1)

    with django_assert_num_queries(CHART_QUERIES[name]):
        client.get(url, {"team": alice.team_id})

    grow(board, alice, 20)

    with django_assert_num_queries(CHART_QUERIES[name]):
        response = client.get(url, {"team": alice.team_id})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "table", ["coaching", "attainment", "stages", "funnel", "movement", "forecast"]
)
def test_csv_query_count_does_not_grow_with_deals(
    client, maria, alice, board, table, django_assert_num_queries
):
    client.force_login(maria)
    url = reverse("forecasting:dashboard")
    query = {"format": "csv", "table": table}
    grow(board, alice, 1)
    client.get(url, query)  # the snapshot readings, read once for every owner

    with django_assert_num_queries(CSV_QUERIES):
        b"".join(client.get(url, query).streaming_content)

    grow(board, alice, 20)

    with django_assert_num_queries(CSV_QUERIES):
        body = b"".join(client.get(url, query).streaming_content).decode()
    assert body.splitlines()[0]


def test_a_seller_downloads_only_the_tables_their_dashboard_shows(client, alice, db):
    client.force_login(alice)
    url = reverse("forecasting:dashboard")

    links = elements(client.get(url).content, "a", class_="csv-download")
    refused = client.get(url, {"format": "csv", "table": "funnel"})

    assert [link.attrs["data-table"] for link in links] == [
        "attainment",
        "coaching",
        "forecast",
        "stages",
    ]
    assert refused.status_code == 400
    assert "choose one of attainment, coaching, forecast, stages" in refused.content.decode()


def test_forecast_csv_has_each_category_submitted_and_as_adjusted(client, maria, alice, board):
    period = quarter_of(timezone.localdate())
    OpportunityFactory(
        owner=alice,
        stage=board["late"],
        value=Decimal("1000.00"),
        forecast_category="commit",
        expected_close_date=period.end,
    )
    OpportunityFactory(
        owner=alice,
        stage=board["early"],
        value=Decimal("300.00"),
        forecast_category="best_case",
        expected_close_date=period.end,
    )
    adjust_forecast(
        by=maria,
        period=period,
        category="commit",
        currency="EUR",
        amount=Decimal("800.00"),
        rep=alice,
    )
    client.force_login(maria)

    response = client.get(reverse("forecasting:dashboard"), {"format": "csv", "table": "forecast"})

    rows = list(csv.reader(b"".join(response.streaming_content).decode().splitlines()))
    header, lines = rows[0], {row[0]: row for row in rows[1:]}
    assert header[:5] == ["Who", "Currency", "Won so far", "Weighted (configured)", "History-based"]
    assert header[5:9] == [
        "Commit (submitted)",
        "Best case (submitted)",
        "Pipeline (submitted)",
        "Omitted (submitted)",
    ]
    # Alice's own line: 1,000 at 60 % and 300 at 20 %; her commit call moved to 800.
    alices = lines[str(alice)]
    assert alices[1:5] == ["EUR", "0.00", "660.00", "660.00"]
    assert alices[5:9] == ["1000.00", "300.00", "0.00", "0.00"]
    assert alices[9:13] == ["800.00", "", "", ""]
    # The total is what was submitted; no call was adjusted for the whole scope.
    assert lines["Total"][5:7] == ["1000.00", "300.00"]
    assert lines["Total"][9] == ""


def test_dashboard_shows_the_forecast_table_linking_to_the_forecast(client, alice, board):
    period = quarter_of(timezone.localdate())
    OpportunityFactory(
        owner=alice,
        stage=board["late"],
        value=Decimal("1000.00"),
        forecast_category="commit",
        expected_close_date=period.end,
    )
    client.force_login(alice)

    content = client.get(reverse("forecasting:dashboard"), {"period": period.token}).content

    # The table's first line is the scope's total (a rep's: their own deals).
    commit = elements(content, "td", class_="figure-commit")[0]
    assert commit.text == "1,000"
    links = [a.attrs["href"] for a in elements(content, "a")]
    commit_deals = [href for href in links if "forecast_category=commit" in href]
    assert commit_deals
    assert all(href.startswith(reverse("pipeline:deal_list")) for href in commit_deals)
    # Beside the navigation's plain link, the card's keeps the dashboard's pickers.
    forecast_links = [href for href in links if href.startswith(reverse("forecasting:forecast"))]
    assert forecast_links == [
        reverse("forecasting:forecast"),
        f"{reverse('forecasting:forecast')}?period={period.token}",
    ]


def test_a_managers_dashboard_shows_forecast_accuracy_and_a_reps_does_not(
    client, maria, alice, board
):
    client.force_login(maria)
    managers = client.get(reverse("forecasting:dashboard")).content
    client.force_login(alice)
    reps = client.get(reverse("forecasting:dashboard")).content

    (section,) = elements(managers, "section", id="backtest")
    assert "No snapshots from the start of past periods yet." in section.text
    assert elements(reps, "section", id="backtest") == []
