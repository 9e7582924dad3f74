"""The scope's open deals, read once per report and shared by every figure about them.

Definition: the scope's open deals now (``ReportScope.deals().open()``, any expected close
date), grouped by owner, pipeline, stage and currency: how many, their value, how many the
nightly check has flagged stale (``stale_since`` set), and the value of those whose
expected close date falls in the scope's period. The open pipeline by stage
(``forecasting.stages``), velocity's open deals and coverage's weighted pipeline
(``forecasting.velocity``) and coaching's open and stale deals (``forecasting.coaching``)
are sums of these groups, so a report reads the open deals once (and their stages once)
instead of once per figure. On PostgreSQL a covering partial index on open deals answers
the read without visiting the deals (pipeline migration 0017_open_deals_covering_idx).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from forecasting.scope import ReportScope
from pipeline.models import Stage


@dataclass(frozen=True)
class OpenGroup:
    owner_id: int
    pipeline_id: int
    stage_id: int
    currency: str
    count: int
    value: Decimal
    stale: int
    # The value of the group's deals expected to close in the period; None: none are.
    closing_value: Decimal | None


@dataclass(frozen=True)
class StageFacts:
    """What the figures need of a stage: its order, name and win probability."""

    pk: int
    name: str
    position: int
    probability: int
    pipeline_id: int
    pipeline_name: str
    pipeline_position: int


def open_groups(scope: ReportScope) -> list[OpenGroup]:
    """The scope's open deals in groups (see the module's docstring): one query per scope."""
    return scope.remembered("open deal groups", lambda: _read_groups(scope))


def _read_groups(scope: ReportScope) -> list[OpenGroup]:
    period = scope.period
    closing = Q(expected_close_date__gte=period.start, expected_close_date__lte=period.end)
    rows = (
        scope.deals()
        .open()
        .values_list("owner_id", "pipeline_id", "stage_id", "currency")
        .annotate(
            # Named apart from the deals' own columns (an aggregate may not shadow one), and
            # reading only columns the covering index holds: COUNT(*), not of the id;
            # the flagged deals as the count of their stale_since (NULL when not stale).
            deal_count=Count("*"),
            value_sum=Sum("value"),
            stale_count=Count("stale_since"),
            closing_sum=Sum("value", filter=closing),
        )
        .order_by()
    )
    return [OpenGroup(*row) for row in rows]


def open_stages(scope: ReportScope) -> dict[int, StageFacts]:
    """The stages the scope's open deals may sit in, by id: every stage (of the scope's
    pipeline, when it names one), a few dozen rows; one query per scope, whatever the
    deals, so that no page's query count depends on whether it has open deals."""

    def read() -> dict[int, StageFacts]:
        stages = Stage.objects.all()
        if scope.pipeline_id is not None:
            stages = stages.filter(pipeline_id=scope.pipeline_id)
        rows = stages.values_list(
            "pk",
            "name",
            "position",
            "probability",
            "pipeline_id",
            "pipeline__name",
            "pipeline__position",
        )
        return {row[0]: StageFacts(*row) for row in rows}

    return scope.remembered("open deal stages", read)
