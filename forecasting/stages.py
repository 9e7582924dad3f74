"""The open pipeline by stage: how many open deals sit in each stage, and their value.

Definition: the scope's open deals (``ReportScope.deals().open()``, now, whatever their
expected close date), grouped by pipeline, stage and currency, in pipeline and stage
order; value is the sum of the deals' values in that currency, weighted value the same
times the stage's win probability. Stages without an open deal are left out. Summed from
the report's one read of its open deals (``forecasting.open_deals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from forecasting.open_deals import open_groups, open_stages
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
    """Open deals per stage and currency (the shared open-deal read and its stages)."""
    sums: dict[tuple[int, str], list] = {}
    for group in open_groups(scope):
        row = sums.setdefault((group.stage_id, group.currency), [0, Decimal(0)])
        row[0] += group.count
        row[1] += group.value
    stages = open_stages(scope)

    def order(key: tuple[int, str]) -> tuple:
        stage = stages[key[0]]
        return (stage.pipeline_position, stage.pipeline_name, stage.position, stage.pk, key[1])

    totals = []
    for stage_id, currency in sorted(sums, key=order):
        stage = stages[stage_id]
        count, value = sums[stage_id, currency]
        totals.append(
            StageTotal(
                stage_id=stage_id,
                stage_name=stage.name,
                pipeline_id=stage.pipeline_id,
                pipeline_name=stage.pipeline_name,
                currency=currency,
                count=count,
                value=value,
                # Exact Decimal arithmetic here rather than a product in SQL (SQLite's floats).
                weighted=(value * stage.probability / 100).quantize(CENT),
            )
        )
    return totals
