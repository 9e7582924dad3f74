"""What each seller did: touchpoints by kind and week, tasks done and overdue.

Definitions:

- Touchpoints: those a seller logged (``by``) with a time (``at``) in the period, counted
  per kind (call, email, meeting, note) and per week; weeks start on Monday in the user's
  time zone and are named by that Monday.
- Tasks done: tasks assigned to the seller and done (``done_at``) within the period.
- Tasks overdue: the seller's open tasks the nightly check has flagged overdue, now
  (overdue is a state, not an event of the period).

Activity belongs to people, not to deals: the rep and team filters apply, the pipeline,
product and lead-source filters do not. Every seller of the scope appears, with zeros.

Touchpoints and tasks done are read from the activity rollups (``TouchpointDay``,
``TaskDoneDay``: per person and day in the user's zone) when that zone's are ready, else
counted from the rows; the answers are the same, as the period is made of whole days in
that zone. Overdue tasks are always counted live (a partial index holds just them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from forecasting.models import PersonRollupQuerySet, ReportZone, TaskDoneDay, TouchpointDay
from forecasting.scope import ReportScope
from pipeline.models import Task, Touchpoint, TouchpointKind


@dataclass
class Activity:
    person_id: int
    touchpoints: dict[str, int] = field(default_factory=dict)  # kind -> count
    by_week: dict[dt.date, int] = field(default_factory=dict)  # Monday -> count
    tasks_done: int = 0
    tasks_overdue: int = 0

    @property
    def touchpoint_count(self) -> int:
        return sum(self.touchpoints.values())


def activity_by_person(scope: ReportScope) -> dict[int, Activity]:
    """Activity of every seller in scope: five queries, from the rollups or the rows (one
    asks whether the zone is kept, shared with the report's other figures)."""
    people = list(scope.people().values_list("pk", flat=True))
    activity = {
        pk: Activity(pk, touchpoints=dict.fromkeys(TouchpointKind.values, 0)) for pk in people
    }
    zone = activity_zone(scope)
    if zone is None:
        _count_from_rows(scope, activity)
    else:
        _read_rollups(scope, zone, activity)
    for person in activity.values():
        person.by_week = dict(sorted(person.by_week.items()))
    return activity


def activity_zone(scope: ReportScope) -> str | None:
    """The zone the activity rollups are read in: the user's, when kept and ready (the
    filters activity ignores do not matter here, unlike ``rollup_reads.rollup_zone``)."""
    name = timezone.get_current_timezone_name()
    kept = scope.remembered(
        f"rollup zone {name}", ReportZone.objects.filter(name=name, ready=True).exists
    )
    return name if kept else None


def _count_from_rows(scope: ReportScope, activity: dict[int, Activity]) -> None:
    period = scope.period
    touchpoints = (
        Touchpoint.objects.visible_to(scope.user)
        .filter(scope.owner_q("by"), at__gte=period.start_at, at__lt=period.end_before)
        .order_by()
    )
    for person_id, kind, count in touchpoints.values_list("by_id", "kind").annotate(
        count=Count("pk")
    ):
        if person_id in activity:
            activity[person_id].touchpoints[kind] = count
    weeks = (
        touchpoints.annotate(week=TruncWeek("at", tzinfo=timezone.get_current_timezone()))
        .values_list("by_id", "week")
        .annotate(count=Count("pk"))
    )
    for person_id, week, count in weeks:
        if person_id in activity:
            day = week.date() if isinstance(week, dt.datetime) else week
            activity[person_id].by_week[day] = count
    done_in_period = Q(done_at__gte=period.start_at, done_at__lt=period.end_before)
    overdue = Q(done_at__isnull=True, overdue_since__isnull=False)
    tasks = (
        Task.objects.visible_to(scope.user)
        .filter(scope.owner_q("assignee"))
        # Only the tasks either count reads, so that indexes (done_at; overdue tasks) find
        # them instead of a scan of every task; a seller with neither keeps the zeros.
        .filter(done_in_period | overdue)
        .values_list("assignee_id")
        .annotate(done=Count("pk", filter=done_in_period), overdue=Count("pk", filter=overdue))
        .order_by()
    )
    for person_id, done, overdue_count in tasks:
        if person_id in activity:
            activity[person_id].tasks_done = done
            activity[person_id].tasks_overdue = overdue_count


def _person_rows(scope: ReportScope, rows: PersonRollupQuerySet, zone: str) -> PersonRollupQuerySet:
    """Rollup rows of the scope's people, as visible to its user, on the period's days."""
    return (
        rows.visible_to(scope.user)
        .filter(
            scope.owner_q("person"),
            zone=zone,
            day__gte=scope.period.start,
            day__lte=scope.period.end,
        )
        .order_by()
    )


def _read_rollups(scope: ReportScope, zone: str, activity: dict[int, Activity]) -> None:
    touchpoint_days: PersonRollupQuerySet = TouchpointDay.objects.all()
    # One row per person, week and kind serves both the kinds and the weeks.
    weeks = (
        _person_rows(scope, touchpoint_days, zone)
        .annotate(week=TruncWeek("day"))
        .values_list("person_id", "week", "kind")
        .annotate(count=Sum("count"))
    )
    for person_id, week, kind, count in weeks:
        if person_id in activity and count:
            person = activity[person_id]
            person.touchpoints[kind] = person.touchpoints.get(kind, 0) + count
            monday = week.date() if isinstance(week, dt.datetime) else week
            person.by_week[monday] = person.by_week.get(monday, 0) + count
    done_days: PersonRollupQuerySet = TaskDoneDay.objects.all()
    done = _person_rows(scope, done_days, zone).values_list("person_id").annotate(Sum("done"))
    for person_id, count in done:
        if person_id in activity:
            activity[person_id].tasks_done = count or 0
    # By assignee alone: every task of a person in scope is visible through them, and the
    # partial index on overdue tasks answers without reading the tasks.
    overdue = (
        Task.objects.assigned_visible_to(scope.user)
        .filter(scope.owner_q("assignee"), done_at__isnull=True, overdue_since__isnull=False)
        .values_list("assignee_id")
        .annotate(count=Count("*"))  # not of the id: the index holds the assignee alone
        .order_by()
    )
    for person_id, count in overdue:
        if person_id in activity:
            activity[person_id].tasks_overdue = count


def weeks_of(scope: ReportScope) -> list[dt.date]:
    """The Mondays of the weeks the period touches, for a chart's axis."""
    first = scope.period.start - dt.timedelta(days=scope.period.start.weekday())
    weeks = []
    while first <= scope.period.end:
        weeks.append(first)
        first += dt.timedelta(days=7)
    return weeks
