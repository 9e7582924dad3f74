"""Each stage's observed chance of reaching Won within a period, from the stage history.

Definition: for an open stage S of a pipeline, a past period P (of the report's kind) in
the trailing window and a deal age bucket B, a deal is *observed* in (S, B) at P when, at
P's start (midnight in the user's time zone), its last StageChange at or before then is
into S, and it had been in S for a number of whole days within B. It *reached Won* when it
has a StageChange into a won stage of its pipeline at a time within P (a deal lost and
reopened in P and then won counts too). Observed chance = reached Won ÷ observed, summed
over the window's periods.

- Trailing window: the periods of the report's kind that start in the twelve months before
  the report's period: four quarters, or twelve months.
- Age buckets: 0-30 days, 31-90 days, over 90 days in the stage; ``overall`` is the same
  count over all ages.
- With fewer than ``MIN_OBSERVATIONS`` observations a chance is None ("too little
  history"), never a guess from one or two deals.
- History: the deals the user may see (``visible_to``) in the report's pipelines, whatever
  rep or team the report narrows to: a stage's chance belongs to the stage, and one rep's
  history is too thin to say it.

Storage: the counts of a period that has ended (an hour ago at least, see
``observed_periods.SETTLE``) cannot change by anything done now, only by history being
rewritten. Where the rollups are kept in the current time zone (``rollup_reads.
kept_zone``) they are stored per owner and pipeline (``forecasting.observed_periods``),
counted here with the same SQL the first time they are read, and dropped when history is
rewritten (``forecasting.observed_upkeep``). A period not ended, or a zone not kept, is
counted from the history on every read.

Costs, whatever the number of deals: one query for the stages, one whether the zone is
kept (shared with the rollups' reads), then one per period counted; the stored periods
take one for the owners not counted yet and one sum, and, when some are not counted, on
PostgreSQL one for their locks, one count per period missing and two inserts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lead
from django.db.models.sql import Query
from django.utils import timezone

from forecasting.days import WholeDays
from forecasting.funnel import stages_in_scope
from forecasting.observed_periods import is_settled, stored_counts_by_start
from forecasting.periods import Period
from forecasting.rollup_reads import kept_zone
from forecasting.scope import ReportScope
from pipeline.models import Opportunity, Stage, StageChange, StageKind

MIN_OBSERVATIONS = 5
WINDOW_MONTHS = 12
RATE = Decimal("0.0001")


@dataclass(frozen=True)
class AgeBucket:
    """Whole days in the stage, ``low`` to ``high`` inclusive (``high`` None: no limit)."""

    low: int
    high: int | None

    def __contains__(self, days: int) -> bool:
        return days >= self.low and (self.high is None or days <= self.high)

    @property
    def label(self) -> str:
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"


AGE_BUCKETS = (AgeBucket(0, 30), AgeBucket(31, 90), AgeBucket(91, None))


@dataclass(frozen=True)
class Chance:
    """Deals observed in a stage (and age bucket) at past period starts, and how many won."""

    observed: int = 0
    won: int = 0

    @property
    def chance(self) -> Decimal | None:
        """won ÷ observed to four places; None under ``MIN_OBSERVATIONS`` observations."""
        if self.observed < MIN_OBSERVATIONS:
            return None
        return (Decimal(self.won) / self.observed).quantize(RATE)

    def __add__(self, other: Chance) -> Chance:
        return Chance(self.observed + other.observed, self.won + other.won)


@dataclass(frozen=True)
class StageChances:
    stage_id: int
    stage_name: str
    pipeline_id: int
    pipeline_name: str
    position: int
    configured: int  # the stage's win probability, in percent
    by_age: tuple[Chance, ...] = field(default_factory=tuple)

    @property
    def overall(self) -> Chance:
        return sum(self.by_age, Chance())

    @property
    def observed_percent(self) -> int | None:
        """The overall chance as a whole percentage, what a stage's probability can be set to."""
        chance = self.overall.chance
        return None if chance is None else int((chance * 100).to_integral_value())

    def chance_for_age(self, days: int) -> Decimal | None:
        """The chance of a deal ``days`` in the stage: its bucket's, else the stage's overall."""
        for bucket, chance in zip(AGE_BUCKETS, self.by_age, strict=True):
            if days in bucket and chance.chance is not None:
                return chance.chance
        return self.overall.chance


def trailing_window(period: Period) -> list[Period]:
    """The periods of ``period``'s kind starting in the twelve months before it, oldest first."""
    periods = [period.preceding()]
    months = 3 if period.is_quarter else 1
    while len(periods) * months < WINDOW_MONTHS:
        periods.append(periods[-1].preceding())
    return periods[::-1]


def age_bucket(days: F | WholeDays) -> Case:
    """The index in ``AGE_BUCKETS`` of a number of whole days, in SQL."""
    whens = [
        When(Q(**{"days__lte": bucket.high}), then=Value(index))
        for index, bucket in enumerate(AGE_BUCKETS)
        if bucket.high is not None
    ]
    return Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField())


def bucket_since(entered: str, at: dt.datetime) -> Case:
    """``age_bucket`` of the whole days from the datetime field ``entered`` to ``at``, as
    comparisons of the field itself: whole days <= high exactly when the span is under
    high + 1 days, so no division per row (the forecast buckets every open deal)."""
    whens = [
        When(Q(**{f"{entered}__gt": at - dt.timedelta(days=bucket.high + 1)}), then=Value(index))
        for index, bucket in enumerate(AGE_BUCKETS)
        if bucket.high is not None
    ]
    return Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField())


def observed_chances(scope: ReportScope) -> list[StageChances]:
    """The observed chances of every open stage in the scope's pipelines: ended periods
    from storage where it is kept, the others counted (see the module's docstring)."""
    return observed_chances_at(scope, [scope.period])[scope.period]


def observed_chances_at(
    scope: ReportScope, periods: list[Period]
) -> dict[Period, list[StageChances]]:
    """``observed_chances`` as a report of each of ``periods`` (of the scope's kind) would
    give them, over each one's own trailing window: the windows' periods are counted, or
    read from storage, once for all (the backtest asks for four periods' chances)."""
    if not periods:
        return {}
    stages = stages_in_scope(scope)
    pipeline_ids = {stage.pipeline_id for stage in stages}
    deals = Opportunity.objects.visible_to(scope.user).filter(pipeline_id__in=pipeline_ids)
    windows = {period: trailing_window(period) for period in periods}
    needed = sorted(
        {part for window in windows.values() for part in window}, key=lambda part: part.start
    )
    zone = kept_zone(scope) if pipeline_ids else None
    now = timezone.now()
    ended = [period for period in needed if is_settled(period, now)] if zone else []
    counts: dict[dt.date, dict[tuple[int, int], Chance]] = {}
    if zone is not None and ended:
        counts = stored_counts_by_start(scope, zone, ended, pipeline_ids, count=observed_by_owner)
    for period in needed:
        if period not in ended:
            counts[period.start] = _observed_at(deals, period)
    chances = {}
    for period, window in windows.items():
        summed: dict[tuple[int, int], Chance] = {}
        for part in window:
            for key, chance in counts.get(part.start, {}).items():
                summed[key] = summed.get(key, Chance()) + chance
        chances[period] = [_stage_chances(stage, summed) for stage in stages]
    return chances


OwnerKey = tuple[int, int, int, int]


def observed_by_owner(owner_ids: list[int], period: Period) -> dict[OwnerKey, Chance]:
    """The counts of ``_observed_at`` for the deals of ``owner_ids`` in every pipeline, per
    (owner, pipeline, stage id, bucket index): what ``forecasting.observed_periods`` stores."""
    deals = Opportunity.objects.filter(owner_id__in=owner_ids)
    with connection.cursor() as cursor:
        cursor.execute(*_observed_sql(deals, period, by_owner=True))
        return {
            (owner_id, pipeline_id, stage_id, bucket): Chance(observed, won)
            for owner_id, pipeline_id, stage_id, bucket, observed, won in cursor.fetchall()
        }


def _stage_chances(stage: Stage, counts: dict[tuple[int, int], Chance]) -> StageChances:
    return StageChances(
        stage_id=stage.pk,
        stage_name=stage.name,
        pipeline_id=stage.pipeline_id,
        pipeline_name=stage.pipeline.name,
        position=stage.position,
        configured=stage.probability,
        by_age=tuple(counts.get((stage.pk, index), Chance()) for index in range(len(AGE_BUCKETS))),
    )


def _observed_at(deals: QuerySet[Opportunity], period: Period) -> dict[tuple[int, int], Chance]:
    """Deals in each (open stage, age bucket) at ``period``'s start, and those won in it."""
    try:
        statement = _observed_sql(deals, period)
    except EmptyResultSet:
        # No pipeline in scope: nothing can be observed, and the ORM would run no query.
        return {}
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return {
            (stage_id, bucket): Chance(observed, won)
            for stage_id, bucket, observed, won in cursor.fetchall()
        }


def _observed_sql(
    deals: QuerySet[Opportunity], period: Period, *, by_owner: bool = False
) -> tuple[str, list[Any]]:
    """SQL counting per (open stage, age bucket) the ``deals`` observed at ``period``'s
    start and those of them that reached Won within it (see the module's docstring): rows
    of stage id, bucket index, observed, won (``by_owner``: first the deal's owner and
    pipeline, and counted per each of them too).

    The entry current at the start is the deal's last change at or before it in (at, id)
    order: the one with no next change by ``LEAD`` over the deal's changes up to the start,
    one sorted pass instead of a lookup of the next change per row. Later changes stay out
    of the window, since an entry whose next change is later was current at the start
    either way. Reaching Won joins the distinct deals with a change into a won stage within
    the period, built once, instead of a lookup per deal.
    """
    cutoff = period.start_at
    at_field = StageChange._meta.get_field("at")
    changes = StageChange.objects.filter(opportunity__in=deals.values("pk"), at__lte=cutoff)
    columns = ["opportunity_id", "to_stage_id", "at", "stage_kind", "left_at"]
    if by_owner:
        changes = changes.annotate(
            deal_owner=F("opportunity__owner_id"), deal_pipeline=F("opportunity__pipeline_id")
        )
        columns += ["deal_owner", "deal_pipeline"]
    current = (
        changes.annotate(
            stage_kind=F("to_stage__kind"),
            left_at=Window(
                Lead("at"),
                partition_by=[F("opportunity_id")],
                order_by=[F("at").asc(), F("pk").asc()],
            ),
        )
        .order_by()
        .values(*columns)
    )
    current_sql, current_params = current.query.sql_with_params()
    won = (
        StageChange.objects.filter(
            to_stage__kind=StageKind.WON, at__gte=cutoff, at__lt=period.end_before
        )
        .order_by()
        .values("opportunity_id")
        .distinct()
    )
    won_sql, won_params = won.query.sql_with_params()
    entered_at = RawSQL("entries.at", (), output_field=at_field)
    query = Query(StageChange)
    query.add_annotation(
        WholeDays(Value(cutoff, output_field=DateTimeField()), entered_at), "days", select=False
    )
    bucket = age_bucket(F("days"))
    compiler = query.get_compiler(connection=connection)
    bucket_sql, bucket_params = compiler.compile(bucket.resolve_expression(query))
    owner_columns, groups = ("entries.deal_owner, entries.deal_pipeline, ", "1, 2, 3, 4")
    if not by_owner:
        owner_columns, groups = "", "1, 2"
    # One current entry per deal, so a plain count is the number of deals.
    sql = (
        f"SELECT {owner_columns}entries.to_stage_id, {bucket_sql}, COUNT(*), "
        f"COUNT(won.opportunity_id) FROM ({current_sql}) entries "
        f"LEFT JOIN ({won_sql}) won ON won.opportunity_id = entries.opportunity_id "
        f"WHERE entries.stage_kind = %s AND entries.left_at IS NULL GROUP BY {groups}"
    )
    return sql, [*bucket_params, *current_params, *won_params, StageKind.OPEN.value]
