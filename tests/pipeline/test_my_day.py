"""My day: the rep's overdue and today's tasks, waiting leads and stale deals, in that order."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import LeadStatus
from pipeline.models import Task
from pipeline.views.my_day import my_day_for
from tests.factories import (
    CompanyFactory,
    LeadFactory,
    OpportunityFactory,
    StageFactory,
    TaskFactory,
)

NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def titles(tasks):
    return [task.title for task in tasks]


def test_overdue_oldest_first_then_today_by_time(alice):
    for title, hours in [
        ("Late", -3),
        ("Later today", 5),
        ("Very late", -30),
        ("Soon", 1),
        ("Tomorrow", 14),
    ]:
        TaskFactory(
            assignee=alice,
            opportunity__owner=alice,
            title=title,
            due_at=NOON + dt.timedelta(hours=hours),
        )

    day = my_day_for(alice, NOON)

    assert titles(day.overdue) == ["Very late", "Late"]
    assert titles(day.today) == ["Soon", "Later today"]


def test_today_ends_at_midnight_in_the_reps_time_zone(alice):
    # 12:00 UTC is 19:00 in Jakarta: a task at 18:00 UTC is due tomorrow there.
    TaskFactory(
        assignee=alice,
        opportunity__owner=alice,
        title="Evening",
        due_at=NOON + dt.timedelta(hours=6),
    )
    with timezone.override(ZoneInfo("Asia/Jakarta")):
        in_jakarta = my_day_for(alice, NOON)
    with timezone.override(ZoneInfo("America/New_York")):
        in_new_york = my_day_for(alice, NOON)

    assert titles(in_jakarta.today) == []
    assert titles(in_new_york.today) == ["Evening"]


def test_only_my_open_tasks(alice, bob):
    TaskFactory(assignee=bob, opportunity__owner=bob, title="Bobs", due_at=NOON)
    TaskFactory(assignee=alice, opportunity__owner=alice, title="Done", due_at=NOON, done_at=NOON)
    TaskFactory(
        assignee=alice,
        opportunity=None,
        lead=LeadFactory(owner=alice),
        title="Lead task",
        due_at=NOON - dt.timedelta(hours=1),
    )

    day = my_day_for(alice, NOON)

    assert titles(day.overdue + day.today) == ["Lead task"]


def test_stale_deals_most_at_stake_first(alice, charlie):
    likely = StageFactory(probability=80)
    unlikely = StageFactory(probability=10)
    OpportunityFactory(
        owner=alice,
        stage=unlikely,
        title="Big but unlikely",
        value=Decimal(10000),
        stale_since=dt.date(2026, 11, 1),
    )
    OpportunityFactory(
        owner=alice,
        stage=likely,
        title="Likely",
        value=Decimal(5000),
        stale_since=dt.date(2026, 11, 20),
    )
    OpportunityFactory(owner=alice, stage=likely, title="Fresh", value=Decimal(99999))
    OpportunityFactory(
        owner=charlie,
        stage=likely,
        title="Not mine",
        value=Decimal(99999),
        stale_since=dt.date(2026, 11, 1),
    )

    day = my_day_for(alice, NOON)

    assert [deal.title for deal in day.stale_deals] == ["Likely", "Big but unlikely"]


def test_new_uncontacted_leads_wait_oldest_first_and_flags_are_listed(alice):
    LeadFactory(owner=alice, last_name="Newer", created_at=NOON - dt.timedelta(hours=1))
    LeadFactory(owner=alice, last_name="Older", created_at=NOON - dt.timedelta(hours=9))
    LeadFactory(
        owner=alice,
        last_name="Reached",
        status=LeadStatus.CONTACTED,
        first_touch_at=NOON,
        created_at=NOON - dt.timedelta(days=1),
    )
    LeadFactory(
        owner=alice,
        last_name="Flagged",
        status=LeadStatus.CONTACTED,
        contact_attempts=5,
        last_chance_since=dt.date(2026, 11, 22),
    )

    day = my_day_for(alice, NOON)

    assert [lead.last_name for lead in day.waiting_leads] == ["Older", "Newer"]
    assert [lead.last_name for lead in day.flagged_leads] == ["Flagged"]


def test_page_needs_login_and_shows_the_day(client, alice):
    url = reverse("pipeline:my_day")
    assert client.get(url).status_code == 302

    TaskFactory(
        assignee=alice,
        opportunity__owner=alice,
        title="Call Acme",
        due_at=timezone.now() - dt.timedelta(hours=1),
    )
    client.force_login(alice)
    content = client.get(url).content.decode()

    assert "Call Acme" in content
    assert "1 overdue task" in content


def test_one_click_completion_redraws_the_day(client, alice, bob):
    task = TaskFactory(
        assignee=alice, opportunity__owner=alice, title="Call Acme", due_at=timezone.now()
    )
    client.force_login(alice)

    response = client.post(
        reverse("pipeline:my_day_complete_task", args=[task.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Task “Call Acme” done." in response.content.decode()
    assert 'id="my-day-task-' not in response.content.decode()
    assert Task.objects.get(pk=task.pk).done_at is not None


@pytest.mark.parametrize(("viewer", "status"), [("bob", 403), ("charlie", 404)])
def test_others_cannot_complete_my_tasks_from_their_day(client, request, alice, viewer, status):
    task = TaskFactory(assignee=alice, opportunity__owner=alice, due_at=timezone.now())
    client.force_login(request.getfixturevalue(viewer))

    assert (
        client.post(reverse("pipeline:my_day_complete_task", args=[task.pk])).status_code == status
    )
    assert Task.objects.get(pk=task.pk).done_at is None


def test_query_count_does_not_grow_with_the_day(client, alice, django_assert_num_queries):
    now = timezone.now()

    def fill(count):
        for n in range(count):
            deal = OpportunityFactory(owner=alice, stale_since=dt.date(2026, 11, 1))
            TaskFactory(assignee=alice, opportunity=deal, due_at=now - dt.timedelta(hours=n + 1))
            TaskFactory(
                assignee=alice,
                opportunity=None,
                lead=LeadFactory(owner=alice),
                due_at=now - dt.timedelta(minutes=n + 1),
            )
            TaskFactory(
                assignee=alice,
                opportunity=None,
                company=CompanyFactory(owner=alice),
                due_at=now - dt.timedelta(seconds=n + 1),
            )
            LeadFactory(
                owner=alice, last_chance_since=dt.date(2026, 11, 1), status=LeadStatus.CONTACTED
            )

    client.force_login(alice)
    url = reverse("pipeline:my_day")
    fill(1)
    with django_assert_num_queries(MY_DAY_QUERIES):
        client.get(url)
    fill(10)
    with django_assert_num_queries(MY_DAY_QUERIES):
        response = client.get(url)
    assert len(response.context["day"].overdue) == 33


# Session, user, tasks, waiting leads, flagged leads, stale deals.
MY_DAY_QUERIES = 6
