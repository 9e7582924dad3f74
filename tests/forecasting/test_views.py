"""The dashboard: each role's figures, the pickers in the URL, links, CSV, the period shown."""

import datetime as dt
import zoneinfo
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting.metrics import won_against_quota
from forecasting.periods import Period, quarter_of
from pipeline.models import OpportunityStatus, StageKind
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    QuotaFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)
from tests.html import element, elements, options

# Queries for a rep's dashboard at any size: session and user, the form's pickers
# (pipelines, the rep's own person row read for the choices), then the figures: coaching
# row (people, closed, cycles, won values, activity, the one read of open deals), activity,
# attainment (won values, quotas), stages (from that read, and the stages), what it takes
# (the quotas already read), and the forecast table (its stage chances, people, open and
# won deals, adjusted calls).
REP_QUERIES = 40
# A manager's: session and user, the pickers (teams, people, pipelines), attainment in
# total and per seller, stages, funnel, velocity, coverage, build, movement, coaching;
# the scope's quotas (the total and each seller's) are read once, for attainment,
# coverage and build alike; the open deals are read once (grouped, with their stages) for
# stages, velocity, coverage and coaching; the forecast table, as on the rep's; and the
# backtest (the stored snapshot readings and their rows); the movement reads its stored
# reading and its rows too.
MANAGER_QUERIES = 52


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", probability=20),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", probability=60),
        "won": StageFactory(pipeline=pipeline, name="Won", probability=100, kind=StageKind.WON),
        "lost": StageFactory(pipeline=pipeline, name="Lost", probability=0, kind=StageKind.LOST),
    }


@pytest.fixture
def quarter():
    return quarter_of(timezone.localdate())


def won_deal(stage, owner, value, closed_at=None):
    """A deal won at ``closed_at`` (now), first engaged three days before."""
    closed_at = closed_at or timezone.now()
    return OpportunityFactory(
        stage=stage,
        owner=owner,
        value=value,
        status=OpportunityStatus.WON,
        closed_at=closed_at,
        first_engaged_at=closed_at - dt.timedelta(days=3),
    )


@pytest.fixture
def deals(board, alice, bob, charlie):
    """Alice, Bob (North) and Charlie (South) each have open, stale and won deals."""
    for owner, base in [(alice, Decimal("1000.00")), (bob, Decimal("200.00"))]:
        OpportunityFactory(owner=owner, stage=board["qualification"], value=base)
        OpportunityFactory(
            owner=owner,
            stage=board["proposal"],
            value=base,
            stale_since=timezone.localdate(),
        )
        won_deal(board["won"], owner, base * 3)
    OpportunityFactory(owner=charlie, stage=board["proposal"], value=Decimal("50000.00"))
    won_deal(board["won"], charlie, Decimal("70000.00"))


def dashboard(client, user, status=200, **query):
    client.force_login(user)
    response = client.get(reverse("forecasting:dashboard"), query)
    assert response.status_code == status, response.content[:2000]
    return response


def stage_rows(response):
    return [
        (total.stage_name, total.count, total.value, total.weighted)
        for total in response.context["figures"].stages
    ]


def test_anonymous_user_is_sent_to_login(client, db):
    for url in (reverse("forecasting:dashboard"), reverse("forecasting:chart", args=["stages"])):
        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_rep_sees_own_pipeline_by_stage_and_stale_count(client, alice, deals):
    response = dashboard(client, alice)

    assert response.context["rep_view"] is True
    assert stage_rows(response) == [
        ("Qualification", 1, Decimal("1000.00"), Decimal("200.00")),
        ("Proposal", 1, Decimal("1000.00"), Decimal("600.00")),
    ]
    assert response.context["figures"].coaching.stale_deals == 1
    assert element(response.content, "a", class_="stale-count").text == "1"
    assert "50,000" not in response.content.decode()  # Charlie's deal


def test_manager_sees_every_seller_of_the_team(client, maria, alice, bob, deals):
    response = dashboard(client, maria)

    assert response.context["rep_view"] is False
    figures = response.context["figures"]
    by_name = {row.name: row for row in figures.coaching}
    assert set(by_name) == {str(alice), str(bob), str(maria)}
    assert (by_name[str(alice)].open_deals, by_name[str(alice)].stale_deals) == (2, 1)
    assert by_name[str(alice)].won == 1
    assert (by_name[str(maria)].open_deals, by_name[str(maria)].won) == (0, 0)
    assert stage_rows(response) == [
        ("Qualification", 2, Decimal("1200.00"), Decimal("240.00")),
        ("Proposal", 2, Decimal("1200.00"), Decimal("720.00")),
    ]
    [attainment] = figures.attainment
    assert attainment.won == Decimal("3600.00")


def test_other_teams_manager_sees_only_their_team(client, sam, charlie, deals):
    figures = dashboard(client, sam).context["figures"]

    assert [(t.stage_name, t.value) for t in figures.stages] == [("Proposal", Decimal("50000.00"))]
    assert figures.attainment[0].won == Decimal("70000.00")
    assert {row.person_id for row in figures.coaching} == {charlie.pk, sam.pk}


def test_admin_sees_everything(client, ada, deals):
    figures = dashboard(client, ada).context["figures"]

    assert sum(total.count for total in figures.stages) == 5
    assert figures.attainment[0].won == Decimal("73600.00")


def test_won_in_the_period_against_the_users_quota(client, alice, board, quarter):
    QuotaFactory(
        user=alice,
        period_start=quarter.start,
        period_end=quarter.end,
        amount=Decimal("12000.00"),
    )
    won_deal(board["won"], alice, Decimal("3000.00"))
    # Won before this quarter began: not this quarter's result.
    won_deal(board["won"], alice, Decimal("999.00"), closed_at=quarter.start_at - dt.timedelta(1))

    response = dashboard(client, alice)

    [attainment] = response.context["figures"].attainment
    assert (attainment.won_count, attainment.won, attainment.quota) == (
        1,
        Decimal("3000.00"),
        Decimal("12000.00"),
    )
    assert attainment.percent == 25
    progress = element(response.content, "progress", class_="quota-progress")
    assert progress.attrs["value"] == "25"


def test_manager_is_measured_against_the_team_quota(client, maria, alice, north, board, quarter):
    QuotaFactory(
        user=None,
        team=north,
        period_start=quarter.start,
        period_end=quarter.end,
        amount=Decimal("40000.00"),
    )
    # A rep's personal quota is part of the team's, not added on top.
    QuotaFactory(
        user=alice, period_start=quarter.start, period_end=quarter.end, amount=Decimal("1.00")
    )
    won_deal(board["won"], alice, Decimal("10000.00"))

    figures = dashboard(client, maria).context["figures"]

    [attainment] = figures.attainment
    assert (attainment.won, attainment.quota, attainment.percent) == (
        Decimal("10000.00"),
        Decimal("40000.00"),
        25,
    )
    [alices] = figures.attainment_by_person[alice.pk]
    assert (alices.won, alices.quota, alices.percent) == (
        Decimal("10000.00"),
        Decimal("1.00"),
        1000000,
    )


def test_admin_quota_is_the_sum_of_team_quotas(client, ada, north, south, quarter, db):
    for team, amount in [(north, "40000.00"), (south, "60000.00")]:
        QuotaFactory(
            user=None,
            team=team,
            period_start=quarter.start,
            period_end=quarter.end,
            amount=Decimal(amount),
        )

    [attainment] = dashboard(client, ada).context["figures"].attainment

    assert attainment.quota == Decimal("100000.00")
    assert attainment.won == Decimal("0.00")


def test_no_quota_says_so(client, alice, db):
    content = dashboard(client, alice).content.decode()

    assert "Nothing won and no quota set in this period." in content


def test_overdue_tasks_count_only_open_overdue_tasks_in_scope(client, alice, bob, charlie, board):
    today = timezone.localdate()
    mine = OpportunityFactory(owner=alice, stage=board["qualification"])
    TaskFactory(opportunity=mine, overdue_since=today, title="Alice's late call")
    TaskFactory(opportunity=mine)  # due, not overdue
    TaskFactory(opportunity=mine, done_at=timezone.now())  # done
    TaskFactory(opportunity=OpportunityFactory(owner=bob, stage=board["qualification"]))
    TaskFactory(
        opportunity=OpportunityFactory(owner=charlie, stage=board["qualification"]),
        overdue_since=today,
    )

    response = dashboard(client, alice)

    assert response.context["figures"].coaching.overdue_tasks == 1
    link = element(response.content, "a", class_="overdue-count")
    assert link.text == "1"
    # The count is of tasks: its link lists exactly the task counted.
    assert urlsplit(link.attrs["href"]).path == reverse("pipeline:task_list")
    listed = client.get(link.attrs["href"]).context["page_obj"]
    assert [task.title for task in listed] == ["Alice's late call"]


def test_a_sellers_overdue_count_on_the_team_dashboard_lists_their_tasks(
    client, maria, alice, bob, board
):
    today = timezone.localdate()
    for owner, titles in [(alice, ["Alice 1", "Alice 2"]), (bob, ["Bob 1"])]:
        deal = OpportunityFactory(owner=owner, stage=board["qualification"])
        for title in titles:
            TaskFactory(opportunity=deal, overdue_since=today, title=title)

    response = dashboard(client, maria)

    by_count = {
        link.text: link.attrs["href"]
        for link in elements(response.content, "a", class_="overdue-count")
    }
    assert set(by_count) >= {"2", "1"}
    assert {task.title for task in client.get(by_count["2"]).context["page_obj"]} == {
        "Alice 1",
        "Alice 2",
    }
    assert [task.title for task in client.get(by_count["1"]).context["page_obj"]] == ["Bob 1"]


def test_the_heading_names_the_period_shown_not_this_quarter(client, alice, board):
    # Imported history: won in the first quarter of 2025, long before "this quarter".
    won_deal(board["won"], alice, Decimal("700.00"), dt.datetime(2025, 2, 3, 12, tzinfo=dt.UTC))
    won_deal(board["won"], alice, Decimal("5.00"))  # won today: not in 2025-Q1

    response = dashboard(client, alice, period="2025-Q1")

    heading = element(response.content, "h2", id="won-heading").text
    assert heading == "Won in 2025-Q1 against quota"
    assert "this quarter" not in response.content.decode()
    assert element(response.content, id="dashboard-period").text.startswith(
        "Period 2025-Q1: 01/01/2025 \N{EN DASH} 03/31/2025."
    )
    [attainment] = response.context["figures"].attainment
    assert attainment.won == Decimal("700.00")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"period": "2026-Q5"}, "period", "is not a period"),
        ({"period": "soon"}, "period", "is not a period"),
        ({"team": "abc"}, "team", "Select a valid choice"),
        ({"rep": "999999"}, "rep", "Select a valid choice"),
        ({"pipeline": "-1"}, "pipeline", "Select a valid choice"),
        ({"since": "2026-02-31"}, "since", "Enter a valid date"),
        ({"since": "2999-01-01"}, "since", "Pick a day that has passed"),
    ],
)
def test_bad_pickers_are_form_errors_naming_the_field(client, maria, query, field, message):
    response = dashboard(client, maria, status=400, **query)

    [error] = elements(response.content, "div", class_="field-error")
    assert error.attrs["data-field"] == field
    assert message in error.text
    assert "figures" not in response.context


def test_manager_cannot_pick_another_teams_rep_or_team(client, maria, charlie, south, deals):
    for query, field in [({"rep": charlie.pk}, "rep"), ({"team": south.pk}, "team")]:
        response = dashboard(client, maria, status=400, **query)

        assert element(response.content, "div", class_="field-error").attrs["data-field"] == field


def test_rep_and_team_that_do_not_match_are_an_error(client, ada, alice, south, deals):
    response = dashboard(client, ada, status=400, rep=alice.pk, team=south.pk)

    assert f"{alice} is not in team South." in element(response.content, class_="field-error").text


def test_pickers_offer_only_what_the_viewer_may_see(client, maria, alice, bob, charlie, deals):
    content = dashboard(client, maria).content

    assert [o.text for o in options(content, name="team")] == ["All teams", "North"]
    assert {o.attrs["value"] for o in options(content, name="rep")} == {
        "",
        str(alice.pk),
        str(bob.pk),
        str(maria.pk),
    }


def test_rep_gets_no_team_or_rep_picker(client, alice, deals):
    content = dashboard(client, alice).content

    assert elements(content, "select", name="team") == []
    assert elements(content, "select", name="rep") == []
    assert len(elements(content, "input", name="period")) == 1


def test_manager_picking_a_rep_sees_that_reps_dashboard(client, maria, bob, deals):
    response = dashboard(client, maria, rep=bob.pk)

    assert response.context["rep_view"] is True
    assert stage_rows(response) == [
        ("Qualification", 1, Decimal("200.00"), Decimal("40.00")),
        ("Proposal", 1, Decimal("200.00"), Decimal("120.00")),
    ]


def test_pipeline_picker_narrows_the_figures(client, alice, board, deals):
    other = StageFactory(pipeline=PipelineFactory(name="Renewals"), name="Renew", probability=50)
    OpportunityFactory(owner=alice, stage=other, value=Decimal("4.00"))

    response = dashboard(client, alice, pipeline=other.pipeline_id)

    assert stage_rows(response) == [("Renew", 1, Decimal("4.00"), Decimal("2.00"))]


def test_a_reps_stale_count_links_to_exactly_those_deals_and_back(client, maria, alice, deals):
    response = dashboard(client, maria, period="2026-Q4")
    link = next(
        a
        for a in elements(response.content, "a", class_="stale-count")
        if f"owner={alice.pk}" in a.attrs["href"]
    )
    href = urlsplit(link.attrs["href"])
    query = parse_qs(href.query)

    assert href.path == reverse("pipeline:deal_list")
    assert query["owner"] == [str(alice.pk)]
    assert query["stale"] == ["on"]
    assert query["status"] == ["open"]
    assert query["next"] == [f"{reverse('forecasting:dashboard')}?period=2026-Q4"]

    listed = client.get(link.attrs["href"])
    assert [deal.owner_id for deal in listed.context["page_obj"]] == [alice.pk]
    assert [deal.value for deal in listed.context["page_obj"]] == [Decimal("1000.00")]
    back = element(listed.content, "a", class_="deal-list-back")
    assert back.attrs["href"] == f"{reverse('forecasting:dashboard')}?period=2026-Q4"


def test_coaching_csv_has_the_pages_figures_in_the_same_scope(client, maria, alice, bob, deals):
    TouchpointFactory(by=bob, opportunity=OpportunityFactory(owner=bob), at=timezone.now())

    response = dashboard(client, maria, format="csv", table="coaching")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("Seller,Open deals,Won,Lost,Win rate")
    rows = {line.split(",")[0]: line.split(",")[1:] for line in lines[1:]}
    assert rows[str(alice)] == ["2", "1", "0", "1.0000", "3.0", "3000.00 EUR", "0", "1", "0", ""]
    assert rows[str(bob)][:9] == ["3", "1", "0", "1.0000", "3.0", "600.00 EUR", "1", "1", "0"]
    assert rows[str(bob)][9] == "average_won:EUR"
    # Medians: open deals 2 (0, 2, 3), touchpoints 0, average won 1800 EUR (600, 3000).
    assert rows[str(maria)][:4] == ["0", "0", "0", ""]
    assert rows[str(maria)][-1] == "open_deals"
    assert len(rows) == 3  # Charlie (South) is not Maria's


def test_unknown_csv_table_is_a_clear_400(client, maria, db):
    response = dashboard(client, maria, status=400, format="csv", table="secrets")

    assert "Unknown table “secrets”" in response.content.decode()


def test_quarter_boundaries():
    assert quarter_of(dt.date(2026, 11, 23)) == Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2027, 1, 1)) == Period(dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert quarter_of(dt.date(2027, 6, 30)) == Period(dt.date(2027, 4, 1), dt.date(2027, 6, 30))


def test_quarter_is_counted_in_the_users_time_zone(alice, board):
    # 31 March 23:30 in New York is already 1 April in UTC.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    won_deal(
        board["won"], alice, Decimal("500.00"), dt.datetime(2027, 3, 31, 23, 30, tzinfo=new_york)
    )
    first_quarter = Period(dt.date(2027, 1, 1), dt.date(2027, 3, 31))

    with timezone.override(new_york):
        in_new_york = won_against_quota(alice, first_quarter)
    with timezone.override(dt.UTC):
        in_utc = won_against_quota(alice, first_quarter)

    assert [a.won for a in in_new_york] == [Decimal("500.00")]
    assert in_utc == []


def grow(board, alice, bob, quarter, times):
    """Deals, wins, losses, touchpoints and tasks, ``times`` over, in two pipelines."""
    other = StageFactory(pipeline=PipelineFactory(name="Renewals"), probability=50)
    for _ in range(times):
        for owner in (alice, bob):
            for stage in (board["proposal"], other):
                deal = OpportunityFactory(owner=owner, stage=stage, stale_since=quarter.start)
                TaskFactory(opportunity=deal, overdue_since=quarter.start)
                TouchpointFactory(opportunity=deal, at=timezone.now())
            won_deal(board["won"], owner, Decimal("10.00"))
            OpportunityFactory(
                owner=owner,
                stage=board["lost"],
                status=OpportunityStatus.LOST,
                lost_reason="Price",
                closed_at=timezone.now(),
            )


@pytest.mark.parametrize(
    ("viewer", "queries"), [("alice", REP_QUERIES), ("maria", MANAGER_QUERIES)]
)
def test_dashboard_query_count_does_not_grow_with_deals(
    client, request, viewer, queries, alice, bob, board, quarter, django_assert_num_queries
):
    QuotaFactory(user=alice, period_start=quarter.start, period_end=quarter.end)
    won_deal(board["won"], alice, Decimal("10.00"))
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("forecasting:dashboard")
    client.get(url)  # the snapshot readings, read once for every owner

    with django_assert_num_queries(queries):
        client.get(url)

    grow(board, alice, bob, quarter, 10)
    client.get(url)  # grow() adds a stage: the movement compares positions, read again

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert sum(total.count for total in response.context["figures"].stages) == (
        40 if viewer == "maria" else 20
    )


@pytest.mark.parametrize("viewer", ["alice", "maria"])
def test_a_dashboard_reads_the_quotas_once(client, request, viewer, alice, bob, board, quarter):
    QuotaFactory(user=alice, period_start=quarter.start, period_end=quarter.end)
    QuotaFactory(user=bob, period_start=quarter.start, period_end=quarter.end)
    client.force_login(request.getfixturevalue(viewer))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("forecasting:dashboard"))

    assert response.status_code == 200
    quota_reads = [query for query in queries if "forecasting_quota" in query["sql"]]
    assert len(quota_reads) == 1


def test_without_a_period_the_picker_shows_the_quarter_the_figures_cover(client, alice, quarter):
    content = dashboard(client, alice).content

    [picker] = elements(content, "input", name="period")
    assert picker.attrs["value"] == quarter.token


def eur_link(content, css_class):
    """The one link of ``css_class`` to EUR deals of the whole scope (no owner, no team)."""
    [link] = [
        link
        for link in elements(content, "a", class_=css_class)
        if parse_qs(urlsplit(link.attrs["href"]).query).get("currency") == ["EUR"]
        and "owner" not in link.attrs["href"]
        and "team=" not in link.attrs["href"]
    ]
    return link.attrs["href"]


def test_a_eur_figure_links_to_exactly_the_eur_deals(client, maria, alice, bob, board, quarter):
    # Given won and open deals in two currencies, closing in the quarter
    for owner, currency, value in [(alice, "EUR", "100.00"), (bob, "USD", "700.00")]:
        won = won_deal(board["won"], owner, Decimal(value))
        won.currency = currency
        won.title = f"Won {currency}"
        won.save(update_fields=["currency", "title"])
        OpportunityFactory(
            owner=owner,
            stage=board["proposal"],
            value=Decimal(value),
            currency=currency,
            title=f"Open {currency}",
            expected_close_date=quarter.end,
        )
    content = dashboard(client, maria).content

    # When the EUR figures are followed: the won value, the coverage's weighted pipeline,
    # the forecast table's won and weighted totals
    listed = {
        css_class: {
            deal.title for deal in client.get(eur_link(content, css_class)).context["page_obj"]
        }
        for css_class in ("won-value", "coverage-deals", "figure-won", "figure-weighted")
    }

    # Then each lists its EUR deals and no other
    assert listed == {
        "won-value": {"Won EUR"},
        "coverage-deals": {"Open EUR"},
        "figure-won": {"Won EUR"},
        "figure-weighted": {"Open EUR"},
    }
