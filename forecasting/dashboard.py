"""What each dashboard shows: the landed metrics gathered for one report scope.

The page, its charts, its CSV tables and ``GET /api/dashboard/`` all read these, so a
figure means the same wherever it appears. The rep dashboard is one seller's (a rep's
own, or the rep a manager picked); the manager dashboard is the team's. Every figure's
definition lives in its own module; nothing is computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from forecasting.activity import Activity, activity_by_person, weeks_of
from forecasting.attainment import attainment, attainment_by_person
from forecasting.backtest import BacktestRow, backtest
from forecasting.build import Build, pipeline_build
from forecasting.coaching import CoachingRow, coaching_table
from forecasting.forecast import forecast
from forecasting.forecast_table import ForecastLine, forecast_table
from forecasting.funnel import StageFlow, stage_flow
from forecasting.metrics import Attainment
from forecasting.movement import Movement, pipeline_movement
from forecasting.scope import ReportScope
from forecasting.snapshot_readings import latest_night
from forecasting.stages import StageTotal, open_by_stage
from forecasting.velocity import Coverage, Velocity, pipeline_coverage, sales_velocity
from forecasting.what_it_takes import WhatItTakes, what_it_takes


def is_rep_view(scope: ReportScope) -> bool:
    """A rep always sees their own dashboard; a manager or admin sees one by picking a rep."""
    return scope.rep_id is not None or not (scope.user.is_manager or scope.user.is_admin)


@dataclass(frozen=True)
class RepDashboard:
    attainment: list[Attainment]
    stages: list[StageTotal]
    coaching: CoachingRow | None  # the seller's own row: stale deals, overdue tasks
    activity: Activity | None
    weeks: list[dt.date]
    what_it_takes: list[WhatItTakes]
    forecast: list[ForecastLine]


@dataclass(frozen=True)
class ManagerDashboard:
    attainment: list[Attainment]
    attainment_by_person: dict[int, list[Attainment]]
    stages: list[StageTotal]
    funnel: list[StageFlow]
    velocity: list[Velocity]
    coverage: list[Coverage]
    build: Build
    since: dt.date
    until: dt.date
    movement: list[Movement]
    coaching: list[CoachingRow]
    forecast: list[ForecastLine]
    backtest: list[BacktestRow]


def rep_dashboard(scope: ReportScope) -> RepDashboard:
    """One seller's dashboard (a fixed number of queries)."""
    if scope.rep_id is None:
        scope = scope.for_rep(scope.user.pk)
    rows = coaching_table(scope)
    activity = activity_by_person(scope)
    return RepDashboard(
        attainment=attainment(scope),
        stages=open_by_stage(scope),
        coaching=rows[0] if rows else None,
        activity=activity.get(scope.rep_id) if scope.rep_id is not None else None,
        weeks=weeks_of(scope),
        what_it_takes=what_it_takes(scope),
        forecast=forecast_table(scope, forecast(scope)),
    )


def manager_dashboard(
    scope: ReportScope, since: dt.date, *, with_forecast: bool = True
) -> ManagerDashboard:
    """A team's dashboard, movement from night ``since`` to tonight (a fixed number of queries).

    ``with_forecast=False`` leaves the forecast table and the backtest empty:
    ``GET /api/dashboard/`` does, since ``GET /api/forecast/report/`` and
    ``GET /api/forecast/backtest/`` carry those figures."""
    until = min(timezone.localdate(), latest_night())
    return ManagerDashboard(
        attainment=attainment(scope),
        attainment_by_person=attainment_by_person(scope),
        stages=open_by_stage(scope),
        funnel=stage_flow(scope),
        velocity=sales_velocity(scope),
        coverage=pipeline_coverage(scope),
        build=pipeline_build(scope),
        since=since,
        until=until,
        movement=pipeline_movement(scope, since, until),
        coaching=coaching_table(scope),
        forecast=forecast_table(scope, forecast(scope)) if with_forecast else [],
        backtest=backtest(scope) if with_forecast else [],
    )
