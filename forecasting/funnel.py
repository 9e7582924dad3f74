"""Where deals go and how long they stay: the funnel, stage conversion and time in stage.

Read from StageChange, the history every move, creation and import writes. Definitions:

- A deal *entered* open stage S in the period when it has a StageChange into S at a time
  within the period. It *advanced* from S when, after such an entry, it has a StageChange
  into a later open stage (higher position in its pipeline) or into a won stage; it was
  *won from* S when one of those later changes is into a won stage. Each deal counts once
  per stage however often it went back and forth; a deal lost and later reopened and won
  counts as won from the stages it entered before.
- Conversion from S = advanced ÷ entered (None when nothing entered).
- Time in stage: a stay in S runs from the StageChange into S to the deal's next
  StageChange, or, for the stage a deal is in, until now ("the current stage counts until
  now"). The stays counted are those that ended within the period or were still going at
  its end, a still-going stay counted until the earlier of now and the period's end; median
  and 80th percentile of whole days, as ``percentile_cont``.

Stages are open stages of the scope's pipelines, in pipeline and position order; every
open stage appears, with zeros and None where nothing happened.

For a month or a quarter, in a zone whose rollups are ready and without a product or lead
source filter (``forecasting.rollup_reads.funnel_zone``: not since a reorder of the stages),
the counts and the finished
stays come from ``FunnelStage`` and ``StayMonth`` (``forecasting.rollup_rows``) and the
stays still going from the open deals' ``stage_entered_at``; otherwise everything is
counted from StageChange. Both give the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Max, Q, QuerySet, Sum, Value, ValueRange, When, Window
from django.db.models.expressions import RawSQL, WindowFrameExclusion
from django.db.models.functions import Coalesce, Lead, Least
from django.db.models.sql import Query
from django.utils import timezone

from forecasting.days import WholeDays, days_figure
from forecasting.models import FunnelStage, PeriodKind, StayMonth
from forecasting.percentiles import percentile_of_sql
from forecasting.rollup_reads import funnel_zone, histogram_percentile, months_of, rollup_rows
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus, Stage, StageChange, StageKind


@dataclass(frozen=True)
class StageFlow:
    stage_id: int
    stage_name: str
    pipeline_id: int
    entered: int = 0
    advanced: int = 0
    won: int = 0
    median_days: Decimal | None = None
    p80_days: Decimal | None = None

    @property
    def conversion(self) -> Decimal | None:
        if not self.entered:
            return None
        return (Decimal(self.advanced) / self.entered).quantize(Decimal("0.0001"))


def stages_in_scope(scope: ReportScope) -> list[Stage]:
    """The open stages of the scope's pipeline (else every active pipeline), in board order."""
    stages = Stage.objects.filter(kind=StageKind.OPEN).select_related("pipeline")
    if scope.pipeline_id is not None:
        stages = stages.filter(pipeline_id=scope.pipeline_id)
    else:
        stages = stages.filter(pipeline__is_active=True)
    return list(
        stages.order_by("pipeline__position", "pipeline__name", "position", "pk").filter(
            archived_at__isnull=True
        )
    )


def stage_flow(scope: ReportScope, now: dt.datetime | None = None) -> list[StageFlow]:
    """Entered, advanced, won from and time in each open stage (four queries from the
    history; four from the rollups, and the zone's check once per scope)."""
    now = now or timezone.now()
    period = scope.period
    stages = stages_in_scope(scope)
    zone = funnel_zone(scope) if period.is_month or period.is_quarter else None
    if zone:
        counts = _rollup_counts(scope, zone)
        medians, p80s = _rollup_stays(scope, zone, now)
    else:
        counts, medians, p80s = _history_flow(scope, now)

    flows = []
    for stage in stages:
        entered, advanced, won = counts.get(stage.pk, (0, 0, 0))
        flows.append(
            StageFlow(
                stage_id=stage.pk,
                stage_name=stage.name,
                pipeline_id=stage.pipeline_id,
                entered=entered,
                advanced=advanced,
                won=won,
                median_days=days_figure(medians.get(stage.pk)),
                p80_days=days_figure(p80s.get(stage.pk)),
            )
        )
    return flows


Counts = dict[int, tuple[int, int, int]]
Figures = dict[Any, Any]  # by stage id


def _history_flow(scope: ReportScope, now: dt.datetime) -> tuple[Counts, Figures, Figures]:
    """Entered, advanced and won per stage, and the stays' median and 80th percentile, from
    StageChange (three queries)."""
    period = scope.period
    changes = StageChange.objects.filter(opportunity__in=scope.deals().values("pk"))
    with connection.cursor() as cursor:
        cursor.execute(*_entries_sql(changes, start=period.start_at, end=period.end_before))
        counts = {
            stage_id: (entered, advanced, won)
            for stage_id, entered, advanced, won in cursor.fetchall()
        }
    end = min(now, period.end_before)
    source = _stays_sql(changes, start=period.start_at, end=end)
    medians = percentile_of_sql(source, 0.5, group_by=("to_stage_id",))
    p80s = percentile_of_sql(source, 0.8, group_by=("to_stage_id",))
    return (
        counts,
        {key[0]: value for key, value in medians.items()},
        {key[0]: value for key, value in p80s.items()},
    )


def _rollup_counts(scope: ReportScope, zone: str) -> Counts:
    """Entered, advanced and won per stage from ``FunnelStage`` (one query): a deal has
    one owner and one pipeline, so summing the owners' rows counts each deal once."""
    period = scope.period
    kind = PeriodKind.MONTH if period.is_month else PeriodKind.QUARTER
    rows = (
        rollup_rows(scope, FunnelStage, zone)
        .filter(period=kind, start=period.start)
        .values("stage_id")
        .annotate(entered_sum=Sum("entered"), advanced_sum=Sum("advanced"), won_sum=Sum("won"))
        .order_by()
    )
    return {
        row["stage_id"]: (row["entered_sum"], row["advanced_sum"], row["won_sum"])
        for row in rows
        if row["entered_sum"]
    }


def _rollup_stays(scope: ReportScope, zone: str, now: dt.datetime) -> tuple[Figures, Figures]:
    """Median and 80th percentile of the stays per stage (two queries): those that ended
    within the period's months, and those that ended after its end, counted to it
    (``straddling`` at its last month), from ``StayMonth``; those still going from the
    open deals, counted until the earlier of now and the period's end. A still-going
    stay is the deal's last change, which put it in its stage at ``stage_entered_at``."""
    period = scope.period
    months = months_of(period) or []
    last = months[-1]
    stored = (
        rollup_rows(scope, StayMonth, zone)
        .filter(month__in=months)
        .values("stage_id", "days")
        .annotate(
            stays=Sum(
                Case(
                    When(month=last, then=F("finished") + F("straddling")),
                    default=F("finished"),
                )
            )
        )
        .order_by()
    )
    histograms: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in stored:
        histograms[row["stage_id"]][row["days"]] += row["stays"]
    end = min(now, period.end_before)
    # Entered before the end: a count's filter rather than the query's, so that PostgreSQL
    # reads every open deal from the covering index instead of choosing the index on entry
    # times and visiting each deal (nearly all open deals entered before the end anyway);
    # and a count of a column the index holds (it holds no primary key).
    going = (
        scope.deals()
        .filter(status=OpportunityStatus.OPEN)
        .annotate(days=WholeDays(Value(end), F("stage_entered_at")))
        .values("stage_id", "days")
        .annotate(stays=Count("stage_entered_at", filter=Q(stage_entered_at__lt=end)))
        .order_by()
    )
    for row in going:
        if row["stays"]:
            histograms[row["stage_id"]][int(row["days"])] += row["stays"]
    medians, p80s = {}, {}
    for stage_id, counts in histograms.items():
        medians[stage_id] = histogram_percentile(counts.items(), 0.5)
        p80s[stage_id] = histogram_percentile(counts.items(), 0.8)
    return medians, p80s


def _entries_sql(
    changes: QuerySet[StageChange], *, start: dt.datetime, end: dt.datetime
) -> tuple[str, list[Any]]:
    """SQL counting per open stage the deals of ``changes`` that entered it between
    ``start`` and ``end``, advanced from it, and were won from it (see the module's
    docstring): rows of ``to_stage_id``, entered, advanced, won.

    What happens after an entry comes from window functions over the deal's changes
    strictly later than it (the frame from the current row on, its ties excluded): the
    highest open stage and whether a won stage follows. One sorted pass instead of two
    lookups per entry. A later change is later than ``start`` too, so only changes from
    ``start`` on enter the window.
    """
    windowed = (
        changes.filter(at__gte=start)
        .annotate(
            stage_kind=F("to_stage__kind"),
            stage_position=F("to_stage__position"),
            won_after=_after(Max(Case(When(to_stage__kind=StageKind.WON, then=1), default=0))),
            top_open_after=_after(
                Max(Case(When(to_stage__kind=StageKind.OPEN, then=F("to_stage__position"))))
            ),
        )
        .order_by()
        .values(
            "opportunity_id",
            "to_stage_id",
            "at",
            "stage_kind",
            "stage_position",
            "won_after",
            "top_open_after",
        )
    )
    windowed_sql, windowed_params = windowed.query.sql_with_params()
    advanced = "entries.won_after = 1 OR entries.top_open_after > entries.stage_position"
    sql = (
        "SELECT entries.to_stage_id, COUNT(DISTINCT entries.opportunity_id), "
        f"COUNT(DISTINCT CASE WHEN {advanced} THEN entries.opportunity_id END), "
        "COUNT(DISTINCT CASE WHEN entries.won_after = 1 THEN entries.opportunity_id END) "
        f"FROM ({windowed_sql}) entries "
        "WHERE entries.stage_kind = %s AND entries.at < %s GROUP BY entries.to_stage_id"
    )
    end_param = StageChange._meta.get_field("at").get_db_prep_value(end, connection)
    return sql, [*windowed_params, StageKind.OPEN.value, end_param]


def _after(aggregate: Max) -> Window:
    """``aggregate`` over the deal's changes strictly later than the current one."""
    return Window(
        aggregate,
        partition_by=[F("opportunity_id")],
        order_by=[F("at").asc()],
        frame=ValueRange(start=0, end=None, exclusion=WindowFrameExclusion.GROUP),
    )


def _stays_sql(
    changes: QuerySet[StageChange], *, start: dt.datetime, end: dt.datetime
) -> tuple[str, list[Any]]:
    """SQL selecting ``to_stage_id`` and ``value``, the whole days of each stay counted by
    time in stage (see the module's docstring), from ``changes``.

    A stay leaves at the deal's next change: ``LEAD`` over the deal's changes in (at, id)
    order, one sorted pass instead of a lookup per change. Only changes before ``end``
    enter the window: a stay whose next change is later is counted until ``end`` either
    way, so dropping the later changes (the next change becomes none) gives the same days.
    """
    windowed = (
        changes.filter(at__lt=end)
        .annotate(
            stage_kind=F("to_stage__kind"),
            left_at=Window(
                Lead("at"),
                partition_by=[F("opportunity_id")],
                order_by=[F("at").asc(), F("pk").asc()],
            ),
        )
        .order_by()
        .values("to_stage_id", "at", "stage_kind", "left_at")
    )
    windowed_sql, windowed_params = windowed.query.sql_with_params()
    at_field = StageChange._meta.get_field("at")
    left_at = RawSQL("stays.left_at", (), output_field=at_field)
    entered_at = RawSQL("stays.at", (), output_field=at_field)
    days = WholeDays(Least(Coalesce(left_at, Value(end)), Value(end)), entered_at)
    query = Query(StageChange)
    compiler = query.get_compiler(connection=connection)
    days_sql, days_params = compiler.compile(days.resolve_expression(query))
    sql = (
        f"SELECT stays.to_stage_id, {days_sql} AS value FROM ({windowed_sql}) stays "
        "WHERE stays.stage_kind = %s AND (stays.left_at IS NULL OR stays.left_at >= %s)"
    )
    start_param = at_field.get_db_prep_value(start, connection)
    return sql, [*days_params, *windowed_params, StageKind.OPEN.value, start_param]
