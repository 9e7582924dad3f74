"""The pipeline's nightly jobs: stale deals, overdue tasks, stage alerts and the recount of
the board's column tallies.

Each job takes the day it runs for and returns the number of rows it changed (flags set or
cleared, alerts raised or withdrawn, notifications created). A job for day D sees the
pipeline as it stood when D began, at midnight UTC (the *cut-off*): running it twice, or
late, for the same day changes nothing the second time. Dates the jobs write are UTC dates,
the same reading as the demo data's.

Flags are set and cleared with one UPDATE ... WHERE per stage (stages are few; deals are
not), notifications with one INSERT ... SELECT each (``accounts.services.notifications.notify``).
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Least, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationKind, Role, User
from accounts.services.notifications import key_of, notify, text_of, url_of
from pipeline import column_tallies
from pipeline.models import (
    AlertKind,
    BoardChange,
    Opportunity,
    OpportunityStatus,
    Stage,
    StageAlert,
    StageChange,
    StageKind,
    Task,
)

# A flag that went up within this many days is news and gets a notification; older ones
# (the first run on a database with history, a stage whose limit was just lowered) are
# listed in the digest instead of burying everyone's bell on one night.
NOTIFY_WITHIN_DAYS = 7

# Stage alerts compare the day with the thirteen whole weeks before it (about 90 days):
# whole weeks, so that weekends weigh the same in every window.
HISTORY_WEEKS = 13
HISTORY_DAYS = 7 * HISTORY_WEEKS
# Twice the usual count is far outside a stage's normal week-to-week swing.
CONGESTION_FACTOR = 2
# The final stage's share of the open deals growing by half is a forecast at risk: deals
# pile up where they should be closing.
CLOSING_CROWD_FACTOR = Decimal("1.5")
# Below half the usual weekly intake: "below the median" alone happens every other week.
THIN_FRONT_FACTOR = Decimal("0.5")
# Below these counts a small team's normal noise would raise alerts every night.
MIN_DEALS_FOR_ALERT = 10
MIN_WEEKLY_INTAKE = 5

OPEN = OpportunityStatus.OPEN
TENTH = Decimal("0.1")


def cutoff_of(day: dt.date) -> dt.datetime:
    """The moment day ``day`` begins (UTC): the jobs for ``day`` see the data as of then."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _utc_date(expression: Combinable) -> TruncDate:
    return TruncDate(expression, tzinfo=dt.UTC)


# --- Stale deals ---------------------------------------------------------------------------


def flag_stale_deals(day: dt.date) -> int:
    """Flag open deals gone stale by ``day``; clear the flag where that is no longer true.

    A deal in a stage with ``rotting_days`` = N is stale on day D when D is more than N days
    after the day it entered the stage, or after its last touch (its creation if it was
    never touched): entered on 1 March with N = 14, it is fine on 15 March and stale from
    16 March. ``stale_since`` is the day the N days ran out (15 March) and is kept while the
    deal stays stale. Won and lost stages, and stages without a limit, never go stale.
    """
    cutoff = cutoff_of(day)
    last_activity = Coalesce("last_touch_at", "created_at")
    deals = Opportunity.objects.alias(last_activity=last_activity)
    rotting = list(
        Stage.objects.filter(kind=StageKind.OPEN, rotting_days__isnull=False).values_list(
            "pk", "rotting_days"
        )
    )
    changed = 0
    with transaction.atomic():
        for stage_id, rotting_days in rotting:
            limit = cutoff - dt.timedelta(days=rotting_days)
            in_stage = deals.filter(stage_id=stage_id, status=OPEN)
            rotten = Q(stage_entered_at__lt=limit) | Q(last_activity__lt=limit)
            # The earlier of the two clocks ran out first.
            ran_out = Least("stage_entered_at", last_activity) + dt.timedelta(days=rotting_days)
            changed += in_stage.filter(rotten, stale_since__isnull=True).update(
                stale_since=_utc_date(ran_out)
            )
            changed += in_stage.filter(
                stale_since__isnull=False,
                stage_entered_at__gte=limit,
                last_activity__gte=limit,
            ).update(stale_since=None)
        # Closed deals, and deals in stages that no longer rot, are not stale.
        changed += (
            Opportunity.objects.filter(stale_since__isnull=False)
            .exclude(status=OPEN, stage_id__in=[stage_id for stage_id, _days in rotting])
            .update(stale_since=None)
        )
        changed += notify(
            Opportunity.objects.filter(
                status=OPEN,
                stale_since__gt=day - dt.timedelta(days=NOTIFY_WITHIN_DAYS),
                owner__is_active=True,
            ),
            kind=NotificationKind.STALE_DEAL,
            recipient="owner_id",
            message=text_of(
                _("“%(title)s” has gone stale: no progress or touch for too long."),
                title=F("title"),
            ),
            url=url_of("pipeline:deal_detail", "pk"),
            dedupe_key=key_of("stale_deal:", F("pk"), ":", F("stale_since")),
        )
    return changed


# --- Overdue tasks -------------------------------------------------------------------------


def flag_overdue_tasks(day: dt.date) -> int:
    """Flag open tasks due before ``day`` began; clear the flag of tasks moved past it.

    ``overdue_since`` is the UTC date the task was due and is kept while it stays overdue.
    A task due exactly at the cut-off (midnight UTC) is not overdue yet on that day.
    Completing a task clears the flag at once (``complete_task``), not here.
    """
    cutoff = cutoff_of(day)
    with transaction.atomic():
        changed = Task.objects.filter(
            done_at__isnull=True, overdue_since__isnull=True, due_at__lt=cutoff
        ).update(overdue_since=_utc_date(F("due_at")))
        changed += Task.objects.filter(overdue_since__isnull=False, due_at__gte=cutoff).update(
            overdue_since=None
        )
        changed += notify(
            Task.objects.filter(
                done_at__isnull=True,
                overdue_since__gt=day - dt.timedelta(days=NOTIFY_WITHIN_DAYS),
                assignee__is_active=True,
            ),
            kind=NotificationKind.OVERDUE_TASK,
            recipient="assignee_id",
            message=text_of(_("Task “%(title)s” is overdue."), title=F("title")),
            url=Case(
                When(
                    opportunity_id__isnull=False,
                    then=url_of("pipeline:deal_detail", "opportunity_id"),
                ),
                default=Value(""),
            ),
            dedupe_key=key_of("overdue_task:", F("pk"), ":", F("overdue_since")),
        )
    return changed


# --- Stage alerts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    stage: Stage
    kind: AlertKind
    count: int
    baseline: Decimal


def _median(values: Iterable[Any]) -> Decimal:
    """The median of counts or shares, to a tenth."""
    return Decimal(str(statistics.median(values))).quantize(TENTH)


def _history_days(day: dt.date) -> list[dt.date]:
    """The HISTORY_DAYS days before ``day``, oldest first, then ``day`` itself."""
    start = day - dt.timedelta(days=HISTORY_DAYS)
    return [start + dt.timedelta(days=offset) for offset in range(HISTORY_DAYS + 1)]


def open_deal_counts(day: dt.date, stage_ids: list[int]) -> dict[int, dict[dt.date, int]]:
    """Open deals in each stage at the cut-off of ``day`` and of each of the days before it.

    Rebuilt from today's counts and the stage history (three aggregate queries): the count
    at a day's cut-off is the count now, less the deals that entered since, plus those that
    left since. Works from the first night, without weeks of snapshots to compare with.
    """
    days = _history_days(day)
    current = Counter(
        dict(
            Opportunity.objects.filter(status=OPEN, stage_id__in=stage_ids)
            .values("stage_id")
            .annotate(deals=Count("pk"))
            .order_by()
            .values_list("stage_id", "deals")
        )
    )
    moves = StageChange.objects.filter(at__gte=cutoff_of(days[0])).annotate(on=_utc_date(F("at")))
    net: dict[int, Counter[dt.date]] = defaultdict(Counter)
    for field, sign in (("to_stage_id", 1), ("from_stage_id", -1)):
        rows = (
            moves.filter(**{f"{field}__in": stage_ids})
            .values(field, "on")
            .annotate(moved=Count("pk"))
            .order_by()
            .values_list(field, "on", "moved")
        )
        for stage_id, on, moved in rows:
            net[stage_id][on] += sign * moved
    counts: dict[int, dict[dt.date, int]] = {}
    for stage_id in stage_ids:
        changes = net[stage_id]
        count = current[stage_id] - sum(moved for on, moved in changes.items() if on >= day)
        by_day = {day: count}
        for earlier in reversed(days[:-1]):
            count -= changes[earlier]
            by_day[earlier] = count
        counts[stage_id] = by_day
    return counts


def weekly_intake(day: dt.date, stage_ids: list[int]) -> dict[int, list[int]]:
    """Deals created in each stage per week, for the HISTORY_WEEKS weeks before ``day``.

    Week 0 is the 7 days before ``day``, week 1 the 7 before those, and so on (one query).
    """
    weeks = {stage_id: [0] * HISTORY_WEEKS for stage_id in stage_ids}
    rows = (
        StageChange.objects.filter(
            from_stage__isnull=True,
            to_stage_id__in=stage_ids,
            at__gte=cutoff_of(day - dt.timedelta(days=HISTORY_DAYS)),
            at__lt=cutoff_of(day),
        )
        .annotate(on=_utc_date(F("at")))
        .values("to_stage_id", "on")
        .annotate(deals=Count("pk"))
        .order_by()
        .values_list("to_stage_id", "on", "deals")
    )
    for stage_id, on, deals in rows:
        weeks[stage_id][((day - on).days - 1) // 7] += deals
    return weeks


def find_stage_alerts(day: dt.date) -> list[Alert]:
    """Congested stages, crowded closing stages and thin fronts of active pipelines on ``day``.

    - congested: an open stage holds more than CONGESTION_FACTOR times its median count
      over the HISTORY_DAYS before;
    - closing crowd: the final open stage's share of the pipeline's open deals is more than
      CLOSING_CROWD_FACTOR times its median share;
    - thin front: fewer deals were created in the first open stage in the 7 days before
      ``day`` than THIN_FRONT_FACTOR times the median of the weeks before.
    """
    stages = list(
        Stage.objects.in_use()
        .filter(kind=StageKind.OPEN, pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline_id", "position", "pk")
    )
    by_pipeline: dict[int, list[Stage]] = defaultdict(list)
    for stage in stages:
        by_pipeline[stage.pipeline_id].append(stage)
    stage_ids = [stage.pk for stage in stages]
    counts = open_deal_counts(day, stage_ids)
    intake = weekly_intake(day, [ordered[0].pk for ordered in by_pipeline.values()])
    history = _history_days(day)[:-1]

    alerts: list[Alert] = []
    for stage in stages:
        today, usual = counts[stage.pk][day], _median(counts[stage.pk][on] for on in history)
        if today >= MIN_DEALS_FOR_ALERT and usual > 0 and today > CONGESTION_FACTOR * usual:
            alerts.append(Alert(stage, AlertKind.CONGESTED, today, usual))
    for ordered in by_pipeline.values():
        first, final = ordered[0], ordered[-1]
        this_week, *weeks_before = intake[first.pk]
        usual_intake = _median(weeks_before)
        if usual_intake >= MIN_WEEKLY_INTAKE and this_week < THIN_FRONT_FACTOR * usual_intake:
            alerts.append(Alert(first, AlertKind.THIN_FRONT, this_week, usual_intake))
        if len(ordered) < 2:
            continue  # the final stage is the whole pipeline: its share says nothing
        totals = {on: sum(counts[stage.pk][on] for stage in ordered) for on in [*history, day]}
        shares = [Decimal(counts[final.pk][on]) / totals[on] for on in history if totals[on]]
        final_today = counts[final.pk][day]
        if final_today < MIN_DEALS_FOR_ALERT or not shares:
            continue
        usual_share = Decimal(str(statistics.median(shares)))
        if usual_share > 0 and final_today > CLOSING_CROWD_FACTOR * usual_share * totals[day]:
            usual = (usual_share * totals[day]).quantize(TENTH)
            alerts.append(Alert(final, AlertKind.CLOSING_CROWD, final_today, usual))
    return alerts


def _alert_message(alert: Alert) -> str:
    values = {
        "stage": alert.stage.name,
        "pipeline": alert.stage.pipeline.name,
        "count": alert.count,
        "usual": alert.baseline.normalize(),
    }
    if alert.kind == AlertKind.CONGESTED:
        text = _("%(stage)s (%(pipeline)s) holds %(count)s open deals; usually %(usual)s.")
    elif alert.kind == AlertKind.CLOSING_CROWD:
        text = _(
            "%(count)s deals wait in %(stage)s (%(pipeline)s), the final stage; usually %(usual)s."
        )
    else:
        text = _(
            "Only %(count)s new deals entered %(stage)s (%(pipeline)s) in the last 7 days; "
            "usually %(usual)s a week."
        )
    return text % values


def alert_recipients() -> QuerySet[User]:
    """Who is told about stage alerts: every active manager and admin."""
    return User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True)
    )


def raise_stage_alerts(day: dt.date) -> int:
    """Store ``day``'s stage alerts (withdrawing any that no longer hold) and notify.

    Managers and admins hear of an alert the first day it is raised, not on every
    following day it still holds.
    """
    alerts = {(alert.stage.pk, alert.kind): alert for alert in find_stage_alerts(day)}
    with transaction.atomic():
        existing = set(StageAlert.objects.filter(raised_on=day).values_list("stage_id", "kind"))
        withdrawn = existing - alerts.keys()
        changed = 0
        for stage_id, kind in withdrawn:
            changed += StageAlert.objects.filter(
                raised_on=day, stage_id=stage_id, kind=kind
            ).delete()[0]
        new = [alerts[key] for key in alerts.keys() - existing]
        StageAlert.objects.bulk_create(
            [
                StageAlert(
                    stage=alert.stage,
                    kind=alert.kind,
                    raised_on=day,
                    count=alert.count,
                    baseline=alert.baseline,
                )
                for alert in new
            ],
            ignore_conflicts=True,
        )
        changed += len(new)
        yesterday = set(
            StageAlert.objects.filter(raised_on=day - dt.timedelta(days=1)).values_list(
                "stage_id", "kind"
            )
        )
        board_url = "pipeline:board"
        for (stage_id, kind), alert in sorted(alerts.items()):
            if (stage_id, kind) in yesterday:
                continue
            changed += notify(
                alert_recipients(),
                kind=NotificationKind.CONGESTED_STAGE,
                recipient="pk",
                message=_alert_message(alert),
                url=Value(reverse(board_url, args=[alert.stage.pipeline_id])),
                dedupe_key=Value(f"{kind}:{stage_id}:{day.isoformat()}"),
            )
    return changed


logger = logging.getLogger(__name__)


def recount_column_tallies(day: dt.date) -> int:
    """Recount the board's column tallies from the deals and repair the rows that differ;
    the rows repaired (0 on a night when the services kept them exact, as they should).

    A repair is logged as a warning naming each row, so that drift is seen, not hidden."""
    repaired = column_tallies.recount()
    for row in repaired:
        logger.warning(
            "Column tally %s %s repaired: stored %s, counted %s",
            row.table,
            row.key,
            row.stored,
            row.counted,
        )
    return len(repaired)


def prune_board_changes(day: dt.date) -> int:
    """Delete the board's change rows no open board can still ask for; how many.

    By the clock, not ``day``: what a board may ask for depends on when it was drawn, and
    a night run again for a past date must not delete the rows of boards open now."""
    return BoardChange.objects.prune(timezone.now())
