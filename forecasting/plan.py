"""The gap to quota and the plan to close it: plan A, and plan B should A fall short.

Definitions, per currency of the quotas in scope (``quotas.quotas_in_scope``, the one
quota rule):

- Gap = quota - won so far in the period, never below zero.
- Plan A: the open deals closing in the period that their owners call commit or best
  case; ``plan_a_total`` is their value, and plan A covers the gap when it reaches it.
- Plan B is for what the commit deals leave open: target = gap - commit total (not below
  zero). Its candidates are the best-case and pipeline deals closing in the period, and
  next period's deals (other than omitted) in the two most advanced open stages of their
  pipeline. They are ranked by expected value = value x probability, the observed chance
  of the deal's stage for its age in it (``forecasting.observed``), else the stage's
  configured probability; they are listed, highest first, until their values add up to
  the target.

Lists stop at ``PLAN_LIMIT`` deals per currency. A fixed number of queries (quotas, wins,
observed chances, plan A's totals, plan A's deals, plan B's candidates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from forecasting.forecast import open_in_period
from forecasting.observed import StageChances, bucket_since, observed_chances
from forecasting.outcomes import won_values
from forecasting.quotas import quotas_in_scope
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory
from pipeline.querysets import OpportunityQuerySet

PLAN_LIMIT = 50
ADVANCED_STAGES = 2
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
PLAN_A_CATEGORIES = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE)
PLAN_B_CATEGORIES = (ForecastCategory.BEST_CASE, ForecastCategory.PIPELINE)


@dataclass(frozen=True)
class PlanDeal:
    pk: int
    title: str
    owner: str
    stage: str
    forecast_category: str
    value: Decimal
    currency: str
    expected_close_date: dt.date | None
    probability: Decimal
    next_period: bool

    @property
    def expected_value(self) -> Decimal:
        return (self.value * self.probability).quantize(CENT)


@dataclass
class CurrencyPlan:
    currency: str
    quota: Decimal
    won: Decimal
    commit_total: Decimal = ZERO
    best_case_total: Decimal = ZERO
    plan_a: list[PlanDeal] = field(default_factory=list)
    plan_b: list[PlanDeal] = field(default_factory=list)

    @property
    def gap(self) -> Decimal:
        return max(self.quota - self.won, ZERO)

    @property
    def plan_a_total(self) -> Decimal:
        return self.commit_total + self.best_case_total

    @property
    def plan_a_covers(self) -> bool:
        return self.plan_a_total >= self.gap

    @property
    def plan_b_target(self) -> Decimal:
        return max(self.gap - self.commit_total, ZERO)

    @property
    def plan_b_total(self) -> Decimal:
        return sum((deal.value for deal in self.plan_b), ZERO)

    @property
    def plan_b_covers(self) -> bool:
        return self.plan_b_total >= self.plan_b_target


def gap_plan(
    scope: ReportScope,
    now: dt.datetime | None = None,
    stages: list[StageChances] | None = None,
) -> list[CurrencyPlan]:
    """The gap and plans A and B per currency of the scope's quotas (eleven queries; six
    when the caller has the scope's ``observed_chances`` already and passes them)."""
    now = now or timezone.now()
    quotas = quotas_in_scope(scope)
    if not quotas:
        return []
    won = {value.currency: value.total for value in won_values(scope, medians=False)}
    plans = {
        currency: CurrencyPlan(currency=currency, quota=quota, won=won.get(currency, ZERO))
        for currency, quota in sorted(quotas.items())
    }
    if stages is None:
        stages = observed_chances(scope)
    closing = open_in_period(scope).filter(currency__in=plans)
    totals = (
        closing.filter(forecast_category__in=PLAN_A_CATEGORIES)
        .values_list("currency", "forecast_category")
        .annotate(value=Sum("value"))
        .order_by()
    )
    for currency, category, value in totals:
        if category == ForecastCategory.COMMIT:
            plans[currency].commit_total = value
        else:
            plans[currency].best_case_total = value

    plan_a = closing.filter(forecast_category__in=PLAN_A_CATEGORIES)
    for deal in _ranked(plan_a, stages, now, scope.period.end, by_expected_value=False):
        plans[deal.currency].plan_a.append(deal)

    following = scope.period.following()
    candidates = (
        scope.deals()
        .open()
        .filter(currency__in=plans)
        .filter(
            Q(
                expected_close_date__gte=scope.period.start,
                expected_close_date__lte=scope.period.end,
                forecast_category__in=PLAN_B_CATEGORIES,
            )
            | Q(
                expected_close_date__gte=following.start,
                expected_close_date__lte=following.end,
                stage_id__in=_advanced_stage_ids(stages),
            )
            & ~Q(forecast_category=ForecastCategory.OMITTED)
        )
    )
    for deal in _ranked(candidates, stages, now, scope.period.end, by_expected_value=True):
        plan = plans[deal.currency]
        if plan.plan_b_covers:
            continue
        plan.plan_b.append(deal)
    return list(plans.values())


def _advanced_stage_ids(stages: list[StageChances]) -> list[int]:
    """The ``ADVANCED_STAGES`` open stages of each pipeline with the highest positions."""
    by_pipeline: dict[int, list[StageChances]] = {}
    for stage in stages:
        by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
    return [
        stage.stage_id
        for pipeline in by_pipeline.values()
        for stage in sorted(pipeline, key=lambda s: -s.position)[:ADVANCED_STAGES]
    ]


def _probability_case(stages: list[StageChances]) -> Case:
    """The deal's probability as a fraction, in SQL: observed for its stage and age bucket,
    else the stage's observed overall, else configured."""
    whens = []
    for stage in stages:
        for index, chance in enumerate(stage.by_age):
            probability = chance.chance if chance.chance is not None else stage.overall.chance
            if probability is not None:
                whens.append(When(stage_id=stage.stage_id, bucket=index, then=Value(probability)))
    return Case(
        *whens,
        default=ExpressionWrapper(
            F("stage__probability") / Value(Decimal(100)), output_field=DecimalField()
        ),
        output_field=DecimalField(max_digits=7, decimal_places=4),
    )


def _ranked(
    deals: OpportunityQuerySet,
    stages: list[StageChances],
    now: dt.datetime,
    period_end: dt.date,
    *,
    by_expected_value: bool,
) -> list[PlanDeal]:
    """The first ``PLAN_LIMIT`` deals per currency, by expected value or by value (one query)."""
    ranking = (
        ExpressionWrapper(F("value") * F("probability"), output_field=DecimalField())
        if by_expected_value
        else F("value")
    )
    rows = (
        deals.annotate(bucket=bucket_since("stage_entered_at", now))
        .annotate(probability=_probability_case(stages))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("currency")], order_by=[ranking.desc(), F("pk")]
            )
        )
        .filter(rank__lte=PLAN_LIMIT)
        .values(
            "pk",
            "title",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
            "stage__name",
            "forecast_category",
            "value",
            "currency",
            "expected_close_date",
            "probability",
        )
    )
    deals_found = [
        PlanDeal(
            pk=row["pk"],
            title=row["title"],
            owner=" ".join(filter(None, (row["owner__first_name"], row["owner__last_name"])))
            or row["owner__username"],
            stage=row["stage__name"],
            forecast_category=row["forecast_category"],
            value=row["value"],
            currency=row["currency"],
            expected_close_date=row["expected_close_date"],
            probability=Decimal(str(row["probability"])).quantize(Decimal("0.0001")),
            next_period=row["expected_close_date"] > period_end,
        )
        for row in rows
    ]
    # The database ranked the rows; the order of the answer is set here, in exact Decimals.
    key = (
        (lambda d: (-d.expected_value, d.pk)) if by_expected_value else (lambda d: (-d.value, d.pk))
    )
    return sorted(deals_found, key=key)
