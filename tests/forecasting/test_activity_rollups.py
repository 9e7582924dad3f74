"""The activity rollups: kept exact by every write of touchpoints and tasks (services, the
admin, imports, cascades), recounted by the nightly run, and read by the activity report
with the answers the rows give."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from forecasting.activity import activity_by_person, activity_zone
from forecasting.activity_upkeep import drift_activity
from forecasting.models import ReportZone, TaskDoneDay, TouchpointDay
from forecasting.periods import parse_period
from forecasting.rollup_upkeep import rebuild
from forecasting.scope import ReportScope
from pipeline.models import Opportunity, Task, Touchpoint
from pipeline.services.activity import complete_task, log_touchpoint, reopen_task
from tests.factories import OpportunityFactory, TaskFactory, TouchpointFactory, UserFactory
from tests.imports.importing import run_import

MARCH, APRIL = parse_period("2026-03"), parse_period("2026-04")
UTC = dt.UTC


def utc(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def deal(alice, stage):
    return OpportunityFactory(owner=alice, stage=stage, title="Renewal")


@pytest.fixture
def jakarta_kept(db, alice, bob, maria, deal):
    """Rollups kept in UTC (the site's zone in tests) and in Asia/Jakarta (UTC+7, Bob's),
    counted once Alice's deal exists."""
    bob.time_zone = "Asia/Jakarta"
    bob.save(update_fields=["time_zone"])
    rebuild()
    assert list(ReportZone.objects.values_list("name", "ready")) == [
        ("Asia/Jakarta", True),
        ("UTC", True),
    ]


def touchpoint_days(person):
    return sorted(
        TouchpointDay.objects.filter(person=person, count__gt=0).values_list(
            "zone", "day", "kind", "count"
        )
    )


def done_days(person):
    return sorted(
        TaskDoneDay.objects.filter(person=person, done__gt=0).values_list("zone", "day", "done")
    )


def done_at(moment, action, **kwargs):
    with mock.patch.object(timezone, "now", return_value=moment):
        return action(**kwargs)


def test_a_touchpoint_near_midnight_falls_on_each_zones_own_day(jakarta_kept, alice, deal):
    # 31 March 20:30 UTC is 1 April 03:30 in Jakarta.
    log_touchpoint(by=alice, kind="call", at=utc(3, 31, 20, 30), opportunity_id=deal.pk)
    log_touchpoint(by=alice, kind="email", at=utc(4, 1, 9), opportunity_id=deal.pk)

    assert touchpoint_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 1), "call", 1),
        ("Asia/Jakarta", dt.date(2026, 4, 1), "email", 1),
        ("UTC", dt.date(2026, 3, 31), "call", 1),
        ("UTC", dt.date(2026, 4, 1), "email", 1),
    ]
    assert drift_activity() == []


def test_weeks_over_a_month_end_count_only_the_periods_days(jakarta_kept, maria, alice, deal):
    # Monday 30 March to Sunday 5 April: two days in March, five in April.
    for day in (30, 31):
        log_touchpoint(by=alice, kind="call", at=utc(3, day), opportunity_id=deal.pk)
    for day in (2, 5):
        log_touchpoint(by=alice, kind="meeting", at=utc(4, day), opportunity_id=deal.pk)
    log_touchpoint(by=alice, kind="note", at=utc(4, 6), opportunity_id=deal.pk)

    with timezone.override("UTC"):
        april = activity_by_person(ReportScope(maria, APRIL))[alice.pk]
        march = activity_by_person(ReportScope(maria, MARCH))[alice.pk]

    assert april.by_week == {dt.date(2026, 3, 30): 2, dt.date(2026, 4, 6): 1}
    assert april.touchpoints == {"call": 0, "email": 0, "meeting": 2, "note": 1}
    assert march.by_week == {dt.date(2026, 3, 30): 2}
    assert march.touchpoints == {"call": 2, "email": 0, "meeting": 0, "note": 0}


def test_a_task_done_then_reopened_and_done_again_counts_on_its_last_day(
    jakarta_kept, maria, alice, deal
):
    task = TaskFactory(opportunity=deal, assignee=alice, due_at=utc(4, 1))

    done_at(utc(4, 2, 18), complete_task, by=alice, task_id=task.pk)  # 3 April in Jakarta
    assert done_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 3), 1),
        ("UTC", dt.date(2026, 4, 2), 1),
    ]
    done_at(utc(4, 2, 19), complete_task, by=alice, task_id=task.pk)  # done already: nothing
    assert done_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 3), 1),
        ("UTC", dt.date(2026, 4, 2), 1),
    ]

    reopen_task(by=alice, task_id=task.pk)
    assert done_days(alice) == []
    assert drift_activity() == []

    done_at(utc(5, 4), complete_task, by=maria, task_id=task.pk)  # done in May, by her manager
    assert done_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 5, 4), 1),
        ("UTC", dt.date(2026, 5, 4), 1),
    ]
    assert drift_activity() == []
    with timezone.override("UTC"):
        assert activity_by_person(ReportScope(maria, APRIL))[alice.pk].tasks_done == 0
        assert (
            activity_by_person(ReportScope(maria, parse_period("2026-05")))[alice.pk].tasks_done
            == 1
        )


def test_deleted_touchpoints_and_tasks_leave_the_rollups(client, jakarta_kept, alice, deal, stage):
    first = log_touchpoint(by=alice, kind="call", at=utc(4, 1), opportunity_id=deal.pk)
    log_touchpoint(by=alice, kind="call", at=utc(4, 1, 11), opportunity_id=deal.pk)
    other = OpportunityFactory(owner=alice, stage=stage)
    log_touchpoint(by=alice, kind="email", at=utc(4, 1), opportunity_id=other.pk)
    task = TaskFactory(opportunity=other, assignee=alice, due_at=utc(4, 1))
    done_at(utc(4, 1, 12), complete_task, by=alice, task_id=task.pk)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/pipeline/touchpoint/{first.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert ("UTC", dt.date(2026, 4, 1), "call", 1) in touchpoint_days(alice)
    assert drift_activity() == []

    # Deleting the deal deletes its email and its done task with it.
    Opportunity.objects.filter(pk=other.pk).delete()

    assert touchpoint_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 1), "call", 1),
        ("UTC", dt.date(2026, 4, 1), "call", 1),
    ]
    assert done_days(alice) == []
    assert drift_activity() == []


def test_the_admin_reassigning_and_retiming_keeps_the_rollups(jakarta_kept, alice, bob, deal):
    touchpoint = log_touchpoint(by=alice, kind="call", at=utc(4, 1), opportunity_id=deal.pk)
    task = TaskFactory(opportunity=deal, assignee=alice, due_at=utc(4, 1))
    done_at(utc(4, 2), complete_task, by=alice, task_id=task.pk)
    request = RequestFactory().post("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)

    with transaction.atomic():
        touchpoint.by, touchpoint.kind, touchpoint.at = bob, "meeting", utc(4, 3, 20)
        admin.site._registry[Touchpoint].save_model(request, touchpoint, None, change=True)
        task.refresh_from_db()  # as the admin's form reads it: done
        task.assignee = bob
        admin.site._registry[Task].save_model(request, task, None, change=True)

    assert touchpoint_days(alice) == []
    assert done_days(alice) == []
    assert touchpoint_days(bob) == [
        ("Asia/Jakarta", dt.date(2026, 4, 4), "meeting", 1),
        ("UTC", dt.date(2026, 4, 3), "meeting", 1),
    ]
    assert done_days(bob) == [
        ("Asia/Jakarta", dt.date(2026, 4, 2), 1),
        ("UTC", dt.date(2026, 4, 2), 1),
    ]
    assert drift_activity() == []


def test_imported_touchpoints_and_tasks_and_their_reimport(jakarta_kept, maria, alice, bob, deal):
    touchpoints = "external_id,kind,at,deal\nX-1,call,2026-04-01T22:00:00Z,Renewal\n"
    tasks = (
        "external_id,title,due_at,done,done_at,owner,deal\n"
        "T-1,Send it,2026-04-01T09:00:00Z,yes,2026-04-02T09:00:00Z,alice,Renewal\n"
    )

    assert run_import(alice, "touchpoints", touchpoints).rejections == []
    assert run_import(alice, "tasks", tasks).rejections == []

    assert touchpoint_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 2), "call", 1),
        ("UTC", dt.date(2026, 4, 1), "call", 1),
    ]
    assert done_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 2), 1),
        ("UTC", dt.date(2026, 4, 2), 1),
    ]

    # Imported again: the touchpoint is an email now, the task Bob's and not done.
    again = tasks.replace(",yes,2026-04-02T09:00:00Z,alice,", ",no,,bob,")
    assert (
        run_import(alice, "touchpoints", touchpoints.replace(",call,", ",email,")).rejections == []
    )
    assert run_import(maria, "tasks", again).rejections == []  # her team's tasks

    assert touchpoint_days(alice) == [
        ("Asia/Jakarta", dt.date(2026, 4, 2), "email", 1),
        ("UTC", dt.date(2026, 4, 1), "email", 1),
    ]
    assert done_days(alice) == done_days(bob) == []
    assert Task.objects.get(external_id="T-1").assignee == bob
    assert drift_activity() == []


def test_a_deleted_author_takes_their_rows_and_leaves_no_drift(jakarta_kept, bob, stage):
    carol = UserFactory(username="carol", team=bob.team)
    theirs = OpportunityFactory(owner=bob, stage=stage)
    TouchpointFactory(opportunity=theirs, by=carol, kind="call", at=utc(4, 1))
    rebuild()
    assert len(touchpoint_days(carol)) == 2

    carol.delete()

    assert TouchpointDay.objects.filter(person_id=carol.pk).count() == 0
    assert Touchpoint.objects.get().by is None
    assert drift_activity() == []


def test_a_write_around_the_services_shows_as_drift_until_the_nightly_recount(
    jakarta_kept, alice, bob, deal
):
    touchpoint = log_touchpoint(by=alice, kind="call", at=utc(4, 1), opportunity_id=deal.pk)
    Touchpoint.objects.filter(pk=touchpoint.pk).update(by=bob)

    assert len(drift_activity()) == 4  # Alice's rows and Bob's, in both zones

    assert rebuild() == 4
    assert drift_activity() == []
    assert touchpoint_days(bob) == [
        ("Asia/Jakarta", dt.date(2026, 4, 1), "call", 1),
        ("UTC", dt.date(2026, 4, 1), "call", 1),
    ]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Los_Angeles"])
def test_the_report_reads_from_rollups_what_the_rows_give(zone, maria, alice, bob, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    bobs = OpportunityFactory(owner=bob, stage=stage)
    moments = [utc(3, 31, 22, 30), utc(4, 1, 0, 30), utc(4, 12, 22, 30), utc(4, 30, 23)]
    for index, moment in enumerate(moments):
        TouchpointFactory(opportunity=deal, by=alice, kind=["call", "email"][index % 2], at=moment)
        TaskFactory(opportunity=deal, assignee=alice, due_at=moment, done_at=moment)
    TouchpointFactory(opportunity=bobs, by=bob, kind="note", at=utc(4, 20))
    TaskFactory(opportunity=bobs, assignee=bob, due_at=utc(4, 2), overdue_since=dt.date(2026, 4, 3))
    maria.time_zone = zone
    maria.save(update_fields=["time_zone"])

    with timezone.override(zone):
        assert activity_zone(ReportScope(maria, APRIL)) is None
        from_rows = activity_by_person(ReportScope(maria, APRIL))
        rebuild()
        assert activity_zone(ReportScope(maria, APRIL)) == zone
        from_rollups = activity_by_person(ReportScope(maria, APRIL))

    assert from_rollups == from_rows
    mine = from_rollups[alice.pk]
    if zone == "Europe/Berlin":
        # UTC+2 in April: 31 March 22:30 UTC is 1 April there, 12 April 22:30 is Monday
        # 13 April, and 30 April 23:00 is 1 May.
        assert mine.touchpoints == {"call": 2, "email": 1, "meeting": 0, "note": 0}
        assert mine.by_week == {dt.date(2026, 3, 30): 2, dt.date(2026, 4, 13): 1}
        assert mine.tasks_done == 3
    else:
        # UTC-7: the first two are still 31 March there, 12 April 22:30 is Sunday 12th.
        assert mine.touchpoints == {"call": 1, "email": 1, "meeting": 0, "note": 0}
        assert mine.by_week == {dt.date(2026, 4, 6): 1, dt.date(2026, 4, 27): 1}
        assert mine.tasks_done == 2
    assert (from_rollups[bob.pk].touchpoint_count, from_rollups[bob.pk].tasks_overdue) == (1, 1)
