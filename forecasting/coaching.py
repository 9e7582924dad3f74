"""Who needs support: one row per seller with the figures a coaching talk starts from.

Per seller of ``ReportScope.people()`` (every one, those without a deal too), in the
scope's period:

- open deals: the seller's open deals now (any expected close date);
- won, lost and win rate: ``forecasting.outcomes.closed_by_person``;
- sales cycle: the median of ``forecasting.cycles.sales_cycle_by_person``;
- average won value per currency: ``forecasting.outcomes.won_values_by_person``;
- activity: touchpoints logged in the period (``forecasting.activity``);
- stale deals: open deals the nightly check has flagged stale (``stale_since`` set), now;
- overdue tasks: open tasks flagged overdue, now (``forecasting.activity``).

Behind the team: a figure is marked when it is worse than the median of the same figure
over the sellers in the table who have one: lower for open deals, win rate, average won
value (compared within its currency) and activity; higher for sales cycle, stale deals
and overdue tasks. A seller without a figure (no closed deal: no win rate) is not marked
for it, and the median ignores them. With a single seller nobody is behind anybody.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from forecasting.activity import activity_by_person
from forecasting.cycles import sales_cycle_by_person
from forecasting.open_deals import open_groups
from forecasting.outcomes import closed_by_person, won_values_by_person
from forecasting.scope import ReportScope

# Figures where more is better; for the others (cycle, stale, overdue) less is better.
HIGHER_IS_BETTER = {"open_deals": True, "win_rate": True, "activity": True}
LOWER_IS_BETTER = ("cycle_days", "stale_deals", "overdue_tasks")


@dataclass
class CoachingRow:
    person_id: int
    name: str
    open_deals: int = 0
    won: int = 0
    lost: int = 0
    win_rate: Decimal | None = None
    cycle_days: Decimal | None = None
    average_won: dict[str, Decimal] = field(default_factory=dict)  # currency -> average
    activity: int = 0
    stale_deals: int = 0
    overdue_tasks: int = 0
    # Names of the figures worse than the team's median; "average_won:EUR" per currency.
    behind: set[str] = field(default_factory=set)


def coaching_table(scope: ReportScope) -> list[CoachingRow]:
    """A row per seller in scope, by name, with the behind-the-median marks (16 queries)."""
    people = list(scope.people())
    closed = closed_by_person(scope)
    cycles = sales_cycle_by_person(scope)
    won = won_values_by_person(scope, medians=False)
    activity = activity_by_person(scope)
    open_counts: dict[int, dict[str, int]] = {}
    for group in open_groups(scope):
        counts = open_counts.setdefault(group.owner_id, {"count": 0, "stale": 0})
        counts["count"] += group.count
        counts["stale"] += group.stale
    rows = []
    for person in people:
        counts = open_counts.get(person.pk, {})
        outcome = closed[person.pk]
        rows.append(
            CoachingRow(
                person_id=person.pk,
                name=str(person),
                open_deals=counts.get("count", 0),
                won=outcome.won,
                lost=outcome.lost,
                win_rate=outcome.win_rate,
                cycle_days=cycles[person.pk].median_days,
                average_won={value.currency: value.average for value in won[person.pk]},
                activity=activity[person.pk].touchpoint_count,
                stale_deals=counts.get("stale", 0),
                overdue_tasks=activity[person.pk].tasks_overdue,
            )
        )
    mark_behind(rows)
    return rows


def mark_behind(rows: list[CoachingRow]) -> None:
    """Set each row's ``behind`` against the medians of ``rows`` (see the module's rules)."""
    if len(rows) < 2:
        return
    for name in [*HIGHER_IS_BETTER, *LOWER_IS_BETTER]:
        figures = [getattr(row, name) for row in rows if getattr(row, name) is not None]
        if len(figures) < 2:
            continue
        median = statistics.median(figures)
        for row in rows:
            value = getattr(row, name)
            if value is None:
                continue
            if (value < median) if name in HIGHER_IS_BETTER else (value > median):
                row.behind.add(name)
    currencies = {currency for row in rows for currency in row.average_won}
    for currency in currencies:
        averages = [row.average_won[currency] for row in rows if currency in row.average_won]
        if len(averages) < 2:
            continue
        median = statistics.median(averages)
        for row in rows:
            if currency in row.average_won and row.average_won[currency] < median:
                row.behind.add(f"average_won:{currency}")
