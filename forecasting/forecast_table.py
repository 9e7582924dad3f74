"""The forecast as a table: one line per scope, team and seller, with links and adjusted calls.

The forecast page and both dashboards show this table, so a figure reads the same on each:
``forecasting.forecast`` computes the figures, ``forecasting.adjustments`` the calls as
managers adjusted them, and ``forecasting.deal_links`` the deals list behind each figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from forecasting.adjustments import CallKey, adjusted_calls
from forecasting.deal_links import deals_behind
from forecasting.forecast import OPEN_CATEGORIES, CurrencyForecast, ForecastReport, ForecastRow
from forecasting.scope import ReportScope


@dataclass(frozen=True)
class CategoryCell:
    category: str
    value: Decimal
    count: int
    url: str
    adjusted: Decimal | None


@dataclass(frozen=True)
class CurrencyLine:
    figures: CurrencyForecast
    won_url: str
    open_url: str
    categories: list[CategoryCell]


@dataclass
class ForecastLine:
    """One row of the forecast table: the scope, a team or a seller, with its links."""

    kind: str  # "total", "team" or "rep"
    key: int | None
    name: str
    currencies: list[CurrencyLine] = field(default_factory=list)

    @property
    def target(self) -> str | None:
        return f"{self.kind}-{self.key}" if self.kind in ("rep", "team") else None


def forecast_lines(
    scope: ReportScope, rows: list[tuple[str, ForecastRow]], calls: dict[CallKey, Decimal]
) -> list[ForecastLine]:
    lines = []
    for kind, row in rows:
        owner = row.key if kind == "rep" else None
        team = row.key if kind == "team" else None
        line = ForecastLine(kind, row.key, row.name or _("Total"))
        for figures in row.currencies:
            cells = [
                CategoryCell(
                    category=category,
                    value=figures.categories[category],
                    count=figures.category_counts[category],
                    url=deals_behind(
                        scope,
                        owner=owner,
                        team=team,
                        category=category,
                        currency=figures.currency,
                    ),
                    adjusted=calls.get(CallKey(kind, row.key, category, figures.currency))
                    if row.key is not None
                    else None,
                )
                for category in OPEN_CATEGORIES
            ]
            line.currencies.append(
                CurrencyLine(
                    figures=figures,
                    won_url=deals_behind(
                        scope, won=True, owner=owner, team=team, currency=figures.currency
                    ),
                    open_url=deals_behind(scope, owner=owner, team=team, currency=figures.currency),
                    categories=cells,
                )
            )
        lines.append(line)
    return lines


def report_rows(report: ForecastReport) -> list[tuple[str, ForecastRow]]:
    """The report's rows in the table's order: the total, each team, each seller."""
    rows = [("total", report.total)]
    rows += [("team", row) for row in report.teams]
    rows += [("rep", row) for row in report.people]
    return rows


def forecast_table(scope: ReportScope, report: ForecastReport) -> list[ForecastLine]:
    """The table of ``report`` with the scope's adjusted calls (one query)."""
    return forecast_lines(scope, report_rows(report), adjusted_calls(scope))
