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

Costs one query for the stages and one per period of the window, whatever the number of deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from forecasting.days import WholeDays
from forecasting.funnel import stages_in_scope
from forecasting.periods import Period
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


def observed_chances(scope: ReportScope) -> list[StageChances]:
    """The observed chances of every open stage in the scope's pipelines (1 + window queries)."""
    stages = stages_in_scope(scope)
    deals = Opportunity.objects.visible_to(scope.user).filter(
        pipeline_id__in={stage.pipeline_id for stage in stages}
    )
    counts: dict[tuple[int, int], Chance] = {}
    for period in trailing_window(scope.period):
        for (stage_id, bucket), chance in _observed_at(deals, period).items():
            counts[stage_id, bucket] = counts.get((stage_id, bucket), Chance()) + chance
    return [_stage_chances(stage, counts) for stage in stages]


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
    cutoff = period.start_at
    next_change = Subquery(
        StageChange.objects.filter(opportunity_id=OuterRef("opportunity_id"))
        .filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
        .order_by("at", "pk")
        .values("at")[:1]
    )
    won_in_period = StageChange.objects.filter(
        opportunity_id=OuterRef("opportunity_id"),
        to_stage__kind=StageKind.WON,
        at__gte=cutoff,
        at__lt=period.end_before,
    )
    rows = (
        StageChange.objects.filter(
            opportunity__in=deals.values("pk"),
            to_stage__kind=StageKind.OPEN,
            at__lte=cutoff,
        )
        .alias(left_at=next_change)
        # The entry that was still the deal's current one when the period began.
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=cutoff))
        .alias(days=WholeDays(Value(cutoff, output_field=DateTimeField()), F("at")))
        .alias(won=Exists(won_in_period))
        .annotate(bucket=age_bucket(F("days")))
        .values("to_stage_id", "bucket")
        .annotate(
            observed=Count("opportunity_id", distinct=True),
            won_count=Count("opportunity_id", distinct=True, filter=Q(won=True)),
        )
        .order_by()
    )
    return {
        (row["to_stage_id"], row["bucket"]): Chance(row["observed"], row["won_count"])
        for row in rows
    }
