"""Activity per seller: touchpoints by kind and week, tasks done and overdue."""

import datetime as dt

import pytest
from django.utils import timezone

from forecasting.activity import activity_by_person, weeks_of
from forecasting.periods import parse_period
from forecasting.rollup_upkeep import rebuild
from forecasting.scope import ReportScope
from tests.factories import OpportunityFactory, TaskFactory, TouchpointFactory, UserFactory

APRIL = parse_period("2026-04")


def at(day, hour=10):
    return dt.datetime(2026, 4, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def logged(alice, bob, stage):
    deal = OpportunityFactory(owner=alice, stage=stage)
    bobs = OpportunityFactory(owner=bob, stage=stage)
    # Alice: 2 calls and an email in the week of Monday 6 April, a meeting on Monday 13th,
    # and a call in March (outside the period).
    for kind, day in [("call", 6), ("call", 8), ("email", 12), ("meeting", 13)]:
        TouchpointFactory(opportunity=deal, by=alice, kind=kind, at=at(day))
    TouchpointFactory(
        opportunity=deal, by=alice, kind="call", at=dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
    )
    TouchpointFactory(opportunity=bobs, by=bob, kind="note", at=at(20))
    # Tasks: Alice did one in April and one in March; one of hers is flagged overdue.
    TaskFactory(opportunity=deal, assignee=alice, due_at=at(9), done_at=at(9))
    TaskFactory(
        opportunity=deal,
        assignee=alice,
        due_at=at(1),
        done_at=dt.datetime(2026, 3, 30, tzinfo=dt.UTC),
    )
    TaskFactory(opportunity=deal, assignee=alice, due_at=at(2), overdue_since=dt.date(2026, 4, 3))


def test_touchpoints_by_kind_and_week_and_tasks_per_seller(logged, maria, alice, bob):
    with timezone.override(dt.UTC):
        activity = activity_by_person(ReportScope(maria, APRIL))

    mine = activity[alice.pk]
    assert mine.touchpoints == {"call": 2, "email": 1, "meeting": 1, "note": 0}
    assert mine.touchpoint_count == 4
    assert mine.by_week == {dt.date(2026, 4, 6): 3, dt.date(2026, 4, 13): 1}
    assert (mine.tasks_done, mine.tasks_overdue) == (1, 1)
    assert activity[bob.pk].touchpoints["note"] == 1
    # Maria logged nothing and still appears.
    assert activity[maria.pk].touchpoint_count == 0


def test_a_seller_who_did_nothing_has_zeros(maria, alice):
    UserFactory(username="carol", team=alice.team)

    activity = activity_by_person(ReportScope(maria, APRIL))

    assert {person.touchpoint_count for person in activity.values()} == {0}
    assert len(activity) == 3  # Maria, Alice and Carol


def test_weeks_are_the_users_weeks(alice, stage, maria):
    deal = OpportunityFactory(owner=alice, stage=stage)
    # Sunday 12 April 23:30 in Berlin is 21:30 UTC: the week of 6 April there.
    TouchpointFactory(opportunity=deal, by=alice, kind="call", at=at(12, 21))

    with timezone.override("Europe/Berlin"):
        assert activity_by_person(ReportScope(maria, APRIL))[alice.pk].by_week == {
            dt.date(2026, 4, 6): 1
        }
    with timezone.override("Asia/Jakarta"):  # 13 April 04:30 there
        assert activity_by_person(ReportScope(maria, APRIL))[alice.pk].by_week == {
            dt.date(2026, 4, 13): 1
        }


def test_weeks_of_a_month_start_on_the_monday_before_it():
    weeks = weeks_of(ReportScope(None, APRIL))
    assert weeks[0] == dt.date(2026, 3, 30)
    assert weeks[-1] == dt.date(2026, 4, 27)


@pytest.mark.parametrize("kept", [False, True])
@pytest.mark.parametrize("extra", [0, 10])
def test_queries_do_not_grow(alice, stage, maria, extra, kept, django_assert_num_queries):
    deal = OpportunityFactory(owner=alice, stage=stage)
    for number in range(extra):
        TouchpointFactory(opportunity=deal, by=alice, kind="call", at=at(1 + number))
        TaskFactory(opportunity=deal, assignee=alice, due_at=at(2), done_at=at(3))
    if kept:
        rebuild()

    # People, whether the zone's rollups are ready, then three reads either way: by kind,
    # by week and tasks from the rows; by week and kind, tasks done, overdue tasks from
    # the rollups.
    with django_assert_num_queries(5):
        activity_by_person(ReportScope(maria, APRIL))
