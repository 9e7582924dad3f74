"""The dashboard's charts as JSON: labels and datasets, ready for Chart.js.

Each chart is drawn from one landed metric for the page's scope; the numbers are the
same the page's tables show. Money stays per currency: a chart of amounts has one
dataset per currency, never a converted total.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from forecasting.activity import activity_by_person, weeks_of
from forecasting.attainment import attainment_by_person
from forecasting.build import pipeline_build
from forecasting.scope import ReportScope
from forecasting.stages import open_by_stage

Chart = dict[str, Any]


def stages_chart(scope: ReportScope) -> Chart:
    """Open deals per stage (bars), from ``forecasting.stages.open_by_stage``."""
    counts: dict[str, int] = {}
    for total in open_by_stage(scope):
        label = f"{total.pipeline_name}: {total.stage_name}"
        counts[label] = counts.get(label, 0) + total.count
    return {
        "type": "bar",
        "labels": list(counts),
        "datasets": [{"label": _("Open deals"), "data": list(counts.values())}],
    }


def activity_chart(scope: ReportScope) -> Chart:
    """Touchpoints per week of the period, every seller in scope together."""
    weeks = weeks_of(scope)
    totals = dict.fromkeys(weeks, 0)
    for activity in activity_by_person(scope).values():
        for week, count in activity.by_week.items():
            if week in totals:
                totals[week] += count
    return {
        "type": "bar",
        "labels": [date_format(week, "SHORT_DATE_FORMAT") for week in weeks],
        "datasets": [{"label": _("Touchpoints"), "data": list(totals.values())}],
    }


def build_chart(scope: ReportScope) -> Chart:
    """Deals created per week over twelve weeks against the weekly need (``forecasting.build``)."""
    build = pipeline_build(scope)
    datasets: list[dict[str, Any]] = [{"label": _("Deals created"), "data": build.created}]
    if build.needed_per_week is not None:
        needed = str(build.needed_per_week)
        datasets.append(
            {"label": _("Needed per week"), "data": [needed] * len(build.weeks), "type": "line"}
        )
    return {
        "type": "bar",
        "labels": [date_format(week, "SHORT_DATE_FORMAT") for week in build.weeks],
        "datasets": datasets,
    }


def attainment_chart(scope: ReportScope) -> Chart:
    """Won and quota per seller, one pair of datasets per currency."""
    names = {person.pk: str(person) for person in scope.people()}
    by_person = attainment_by_person(scope)
    currencies = sorted({a.currency for values in by_person.values() for a in values})
    datasets: list[dict[str, Any]] = []
    for currency in currencies:
        won: list[str] = []
        quota: list[str | None] = []
        for pk in names:
            found = next((a for a in by_person.get(pk, []) if a.currency == currency), None)
            # Decimal strings, not floats: Chart.js reads them as numbers, the JSON stays exact.
            won.append(f"{found.won:.2f}" if found else "0.00")
            quota.append(f"{found.quota:.2f}" if found and found.quota is not None else None)
        datasets.append({"label": _("Won (%(currency)s)") % {"currency": currency}, "data": won})
        datasets.append(
            {"label": _("Quota (%(currency)s)") % {"currency": currency}, "data": quota}
        )
    return {"type": "bar", "labels": list(names.values()), "datasets": datasets}


CHARTS: dict[str, Callable[[ReportScope], Chart]] = {
    "stages": stages_chart,
    "activity": activity_chart,
    "build": build_chart,
    "attainment": attainment_chart,
}
