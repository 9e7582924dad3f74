"""The open pipeline by stage: how many open deals sit in each stage, and their value.

Definition: the scope's open deals (``ReportScope.deals().open()``, now, whatever their
expected close date), grouped by pipeline, stage and currency, in pipeline and stage
order; value is the sum of the deals' values in that currency, weighted value the same
times the stage's win probability. Stages without an open deal are left out. One query.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from forecasting.scope import ReportScope

CENT = Decimal("0.01")


@dataclass(frozen=True)
class StageTotal:
    stage_id: int
    stage_name: str
    pipeline_id: int
    pipeline_name: str
    currency: str
    count: int
    value: Decimal
    weighted: Decimal


def open_by_stage(scope: ReportScope) -> list[StageTotal]:
    """Open deals per stage and currency (one query)."""
    rows = (
        scope.deals()
        .open()
        .values(
            "stage_id",
            "stage__name",
            "stage__position",
            "stage__probability",
            "pipeline_id",
            "pipeline__name",
            "pipeline__position",
            "currency",
        )
        .annotate(count=Count("pk"), value=Sum("value"))
        .order_by("pipeline__position", "pipeline__name", "stage__position", "stage_id", "currency")
    )
    return [
        StageTotal(
            stage_id=row["stage_id"],
            stage_name=row["stage__name"],
            pipeline_id=row["pipeline_id"],
            pipeline_name=row["pipeline__name"],
            currency=row["currency"],
            count=row["count"],
            value=row["value"],
            # Exact Decimal arithmetic here rather than a product in SQL (SQLite's floats).
            weighted=(row["value"] * row["stage__probability"] / 100).quantize(CENT),
        )
        for row in rows
    ]
