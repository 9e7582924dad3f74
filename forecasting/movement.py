"""How the open pipeline moved between two nights, read from the nightly snapshots.

The snapshot of night D is every open deal as it stood when D began (``PipelineSnapshot``,
written nightly and rebuilt from imported history). Between the nights ``since`` and
``until``, per currency of the deal on ``until`` (or on ``since`` for deals that closed):

- new: open on ``until`` and not on ``since`` (created, or reopened, in between);
- won, lost: open on ``since`` and won or lost before ``until`` began;
- advanced, moved back: open on both nights in a stage of higher or lower position;
- slipped: open on both nights, expected to close within the report's period on ``since``
  and no longer (pushed out of it, or the date removed) on ``until``;
- value changed: open on both nights with a different value; ``value_change`` is the net
  sum of the differences.

A deal can count under more than one heading (it advanced and slipped). Counts and values
are of the scope's deals (``visible_to`` and the filters); two queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from forecasting.models import PipelineSnapshot
from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Movement:
    currency: str
    new: int = 0
    new_value: Decimal = ZERO
    won: int = 0
    won_value: Decimal = ZERO
    lost: int = 0
    lost_value: Decimal = ZERO
    advanced: int = 0
    moved_back: int = 0
    slipped: int = 0
    slipped_value: Decimal = ZERO
    value_changed: int = 0
    value_change: Decimal = ZERO


def _cutoff(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def pipeline_movement(scope: ReportScope, since: dt.date, until: dt.date) -> list[Movement]:
    """What changed in the open pipeline from night ``since`` to night ``until``."""
    if until < since:
        since, until = until, since
    deals = scope.deals().values("pk")
    period = scope.period
    before = PipelineSnapshot.objects.filter(taken_on=since, opportunity__in=deals)
    after = PipelineSnapshot.objects.filter(taken_on=until, opportunity__in=deals)
    earlier = before.filter(opportunity_id=OuterRef("opportunity_id"))
    money: DecimalField = DecimalField(max_digits=14, decimal_places=2)

    in_period_before = Q(
        before_close__gte=period.start, before_close__lte=period.end, before_position__isnull=False
    )
    out_of_period_now = (
        Q(expected_close_date__isnull=True)
        | Q(expected_close_date__gt=period.end)
        | Q(expected_close_date__lt=period.start)
    )
    both = Q(before_position__isnull=False)
    changed = both & ~Q(value=F("before_value"))
    open_rows = (
        after.annotate(
            before_position=Subquery(earlier.values("stage__position")[:1]),
            before_value=Subquery(earlier.values("value")[:1]),
            before_close=Subquery(earlier.values("expected_close_date")[:1]),
        )
        .values("currency")
        .annotate(
            new=Count("pk", filter=Q(before_position__isnull=True)),
            new_value=Coalesce(Sum("value", filter=Q(before_position__isnull=True)), ZERO),
            advanced=Count("pk", filter=both & Q(stage__position__gt=F("before_position"))),
            moved_back=Count("pk", filter=both & Q(stage__position__lt=F("before_position"))),
            slipped=Count("pk", filter=in_period_before & out_of_period_now),
            slipped_value=Coalesce(Sum("value", filter=in_period_before & out_of_period_now), ZERO),
            value_changed=Count("pk", filter=changed),
            value_change=Coalesce(
                Sum(F("value") - F("before_value"), filter=changed, output_field=money), ZERO
            ),
        )
        .order_by()
    )
    ended = Q(opportunity__closed_at__gte=_cutoff(since), opportunity__closed_at__lt=_cutoff(until))
    won = ended & Q(opportunity__status=OpportunityStatus.WON)
    lost = ended & Q(opportunity__status=OpportunityStatus.LOST)
    closed_rows = (
        before.values("currency")
        .annotate(
            won=Count("pk", filter=won),
            won_value=Coalesce(Sum("value", filter=won), ZERO),
            lost=Count("pk", filter=lost),
            lost_value=Coalesce(Sum("value", filter=lost), ZERO),
        )
        .order_by()
    )
    figures: dict[str, dict] = {}
    for row in [*open_rows, *closed_rows]:
        figures.setdefault(row["currency"], {}).update(row)
    return [Movement(**figures[currency]) for currency in sorted(figures)]
