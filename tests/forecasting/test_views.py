"""The dashboard: each role's numbers, exact Decimal sums, the quarter in the user's zone."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
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
)

# Queries for the dashboard at any size: session, user, open pipeline (with the stale
# count), won this quarter, quotas, overdue tasks.
DASHBOARD_QUERIES = 6


@pytest.fixture
def board(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", probability=20),
        "proposal": StageFactory(pipeline=pipeline, name="Proposal", probability=60),
        "won": StageFactory(pipeline=pipeline, name="Won", probability=100, kind=StageKind.WON),
    }


@pytest.fixture
def quarter():
    return quarter_of(timezone.localdate())


def won_deal(stage, owner, value, closed_at=None):
    return OpportunityFactory(
        stage=stage,
        owner=owner,
        value=value,
        status=OpportunityStatus.WON,
        closed_at=closed_at or timezone.now(),
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


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("forecasting:dashboard"))
    assert response.status_code == 200
    return response


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("forecasting:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_rep_sees_own_open_pipeline_weighted_by_stage(client, alice, deals):
    response = dashboard(client, alice)

    [total] = response.context["open_pipeline"].totals
    assert (total.pipeline_name, total.currency, total.count) == ("New business", "EUR", 2)
    assert total.value == Decimal("2000.00")
    assert total.weighted == Decimal("800.00")  # 1000 x 20% + 1000 x 60%
    assert response.context["open_pipeline"].stale_count == 1
    assert "50,000" not in response.content.decode()  # Charlie's deal


def test_manager_sees_the_whole_team(client, maria, deals):
    response = dashboard(client, maria)

    [total] = response.context["open_pipeline"].totals
    assert (total.count, total.value, total.weighted) == (
        4,
        Decimal("2400.00"),
        Decimal("960.00"),
    )
    assert response.context["open_pipeline"].stale_count == 2
    [attainment] = response.context["attainments"]
    assert attainment.won == Decimal("3600.00")


def test_other_teams_manager_sees_only_their_team(client, sam, deals):
    response = dashboard(client, sam)

    [total] = response.context["open_pipeline"].totals
    assert total.value == Decimal("50000.00")
    assert response.context["attainments"][0].won == Decimal("70000.00")


def test_admin_sees_everything(client, ada, deals):
    response = dashboard(client, ada)

    [total] = response.context["open_pipeline"].totals
    assert total.count == 5
    assert total.value == Decimal("52400.00")
    assert response.context["attainments"][0].won == Decimal("73600.00")


def test_won_this_quarter_against_the_users_quota(client, alice, board, quarter):
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

    [attainment] = response.context["attainments"]
    assert (attainment.won_count, attainment.won, attainment.quota) == (
        1,
        Decimal("3000.00"),
        Decimal("12000.00"),
    )
    assert attainment.percent == 25
    assert '<progress class="quota-progress" max="100" value="25">' in response.content.decode()


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

    [attainment] = dashboard(client, maria).context["attainments"]

    assert (attainment.won, attainment.quota, attainment.percent) == (
        Decimal("10000.00"),
        Decimal("40000.00"),
        25,
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

    [attainment] = dashboard(client, ada).context["attainments"]

    assert attainment.quota == Decimal("100000.00")
    assert attainment.won == Decimal("0.00")


def test_no_quota_says_so(client, alice, db):
    content = dashboard(client, alice).content.decode()

    assert "Nothing won yet and no quota set for this quarter." in content


def test_overdue_tasks_count_only_open_overdue_tasks_in_scope(client, alice, bob, charlie, board):
    today = timezone.localdate()
    mine = OpportunityFactory(owner=alice, stage=board["qualification"])
    TaskFactory(opportunity=mine, overdue_since=today)
    TaskFactory(opportunity=mine)  # due, not overdue
    TaskFactory(opportunity=mine, done_at=timezone.now())  # done
    TaskFactory(opportunity=OpportunityFactory(owner=bob, stage=board["qualification"]))
    TaskFactory(
        opportunity=OpportunityFactory(owner=charlie, stage=board["qualification"]),
        overdue_since=today,
    )

    assert dashboard(client, alice).context["overdue_task_count"] == 1


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


def test_dashboard_query_count_does_not_grow_with_deals(
    client, alice, maria, board, quarter, django_assert_num_queries
):
    QuotaFactory(user=alice, period_start=quarter.start, period_end=quarter.end)
    deal = OpportunityFactory(owner=alice, stage=board["qualification"])
    won_deal(board["won"], alice, Decimal("10.00"))
    client.force_login(maria)
    url = reverse("forecasting:dashboard")

    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get(url)

    other = PipelineFactory(name="Renewals")
    for stage in (board["proposal"], StageFactory(pipeline=other, probability=50)):
        OpportunityFactory.create_batch(30, owner=alice, stage=stage, stale_since=quarter.start)
    for _ in range(10):
        won_deal(board["won"], alice, Decimal("10.00"))
    TaskFactory.create_batch(5, opportunity=deal, overdue_since=quarter.start)

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)

    assert len(response.context["open_pipeline"].totals) == 2
    assert response.context["open_pipeline"].stale_count == 60
    assert response.context["overdue_task_count"] == 5
