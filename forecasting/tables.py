"""The dashboard's tables as rows for CSV: the same figures the page shows, same scope.

``?format=csv&table=<name>`` on the dashboard downloads one of them; each starts with a
header row. Rates are fractions (0.6667), days and money as the page shows them unrounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forecasting.dashboard import ManagerDashboard, RepDashboard
from forecasting.forecast import OPEN_CATEGORIES

Rows = Iterator[Sequence[Any]]
Figures = RepDashboard | ManagerDashboard


def coaching_rows(figures: Figures) -> Rows:
    rows = figures.coaching if isinstance(figures, ManagerDashboard) else [figures.coaching]
    yield [
        _("Seller"),
        _("Open deals"),
        _("Won"),
        _("Lost"),
        _("Win rate"),
        _("Median cycle (days)"),
        _("Average won value"),
        _("Touchpoints"),
        _("Stale deals"),
        _("Overdue tasks"),
        _("Behind the team median in"),
    ]
    for row in rows:
        if row is None:
            continue
        yield [
            row.name,
            row.open_deals,
            row.won,
            row.lost,
            row.win_rate,
            row.cycle_days,
            " ".join(f"{value} {currency}" for currency, value in sorted(row.average_won.items())),
            row.activity,
            row.stale_deals,
            row.overdue_tasks,
            " ".join(sorted(row.behind)),
        ]


def attainment_rows(figures: Figures) -> Rows:
    yield [_("Seller"), _("Currency"), _("Won deals"), _("Won"), _("Quota"), _("Percent")]
    if isinstance(figures, ManagerDashboard):
        names = {row.person_id: row.name for row in figures.coaching}
        for pk, values in figures.attainment_by_person.items():
            for a in values:
                yield [names.get(pk, pk), a.currency, a.won_count, a.won, a.quota, a.percent]
    for a in figures.attainment:
        yield [_("Total"), a.currency, a.won_count, a.won, a.quota, a.percent]


def stage_rows(figures: Figures) -> Rows:
    yield [_("Pipeline"), _("Stage"), _("Currency"), _("Open deals"), _("Value"), _("Weighted")]
    for total in figures.stages:
        yield [
            total.pipeline_name,
            total.stage_name,
            total.currency,
            total.count,
            total.value,
            total.weighted,
        ]


def funnel_rows(figures: Figures) -> Rows:
    yield [
        _("Stage"),
        _("Entered"),
        _("Advanced"),
        _("Won"),
        _("Conversion"),
        _("Median days in stage"),
        _("80th percentile days"),
    ]
    if isinstance(figures, ManagerDashboard):
        for flow in figures.funnel:
            yield [
                flow.stage_name,
                flow.entered,
                flow.advanced,
                flow.won,
                flow.conversion,
                flow.median_days,
                flow.p80_days,
            ]


def movement_rows(figures: Figures) -> Rows:
    yield [
        _("Currency"),
        _("New"),
        _("New value"),
        _("Advanced"),
        _("Moved back"),
        _("Slipped"),
        _("Slipped value"),
        _("Won"),
        _("Won value"),
        _("Lost"),
        _("Lost value"),
        _("Value changed"),
        _("Net value change"),
    ]
    if isinstance(figures, ManagerDashboard):
        for m in figures.movement:
            yield [
                m.currency,
                m.new,
                m.new_value,
                m.advanced,
                m.moved_back,
                m.slipped,
                m.slipped_value,
                m.won,
                m.won_value,
                m.lost,
                m.lost_value,
                m.value_changed,
                m.value_change,
            ]


def forecast_rows(figures: Figures) -> Rows:
    yield [
        _("Who"),
        _("Currency"),
        _("Won so far"),
        _("Weighted (configured)"),
        _("History-based"),
        *(f"{category.label} ({_('submitted')})" for category in OPEN_CATEGORIES),
        *(f"{category.label} ({_('adjusted')})" for category in OPEN_CATEGORIES),
    ]
    for line in figures.forecast:
        for currency in line.currencies:
            cells = currency.categories
            yield [
                line.name,
                currency.figures.currency,
                currency.figures.won,
                currency.figures.weighted,
                currency.figures.observed,
                *(cell.value for cell in cells),
                *("" if cell.adjusted is None else cell.adjusted for cell in cells),
            ]


TABLES: dict[str, Callable[[Figures], Rows]] = {
    "coaching": coaching_rows,
    "attainment": attainment_rows,
    "stages": stage_rows,
    "funnel": funnel_rows,
    "movement": movement_rows,
    "forecast": forecast_rows,
}

# What the download links say; the URL keeps the name.
LABELS = {
    "attainment": gettext_lazy("Attainment"),
    "coaching": gettext_lazy("Coaching"),
    "forecast": gettext_lazy("Forecast"),
    "funnel": gettext_lazy("Funnel"),
    "movement": gettext_lazy("Movement"),
    "stages": gettext_lazy("Pipeline by stage"),
}
# The seller's dashboard has no funnel or movement: it offers only these.
REP_TABLES = ("attainment", "coaching", "forecast", "stages")


def tables_for(figures: Figures) -> list[str]:
    """The tables the dashboard shown offers for download."""
    return sorted(TABLES) if isinstance(figures, ManagerDashboard) else list(REP_TABLES)
