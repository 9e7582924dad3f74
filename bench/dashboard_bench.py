"""Managers' and admins' reports at scale: server time of the dashboard, forecast and metrics.

In-process with django.test.Client, as the board benchmark: the time is Django's own
(middleware, session, views, SQL, templates) without a network or a browser. Each page and
endpoint that a manager or an admin opens to review the team: the current quarter, as the
first manager (their team) and as the first admin (everyone). The URLs that do not resolve
on the code under test are left out and named, so the benchmark runs on any commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Role, User
from bench.board_bench import first_user
from bench.common import BenchError, Row, Sample, duration, say, timed
from forecasting.periods import quarter_of
from pipeline.models import Opportunity

RUNS = 10
WARM_UPS = 2
# A report slower than this in its first warm-up gets SLOW_RUNS runs: its median is clear
# from three, and ten of them would take the benchmark minutes.
SLOW = 2.0
SLOW_RUNS = 3
# URL name, query string (the period added), and a label: what a manager reviews.
PAGES = (
    ("forecasting:dashboard", "", "dashboard"),
    ("forecasting:forecast", "", "forecast page"),
    ("api:dashboard", "", "GET /api/dashboard/"),
    ("api:metrics", "", "GET /api/metrics/"),
)


@dataclass(frozen=True)
class Case:
    name: str
    user: User
    url: str


def cases(user: User, period: str) -> tuple[list[Case], list[str]]:
    """The reports ``user`` opens for ``period``; and the URL names this code lacks."""
    found, missing = [], []
    for name, query, label in PAGES:
        try:
            path = reverse(name)
        except NoReverseMatch:
            missing.append(name)
            continue
        parameters = f"period={period}" + (f"&{query}" if query else "")
        found.append(Case(f"{label} ({user.role}: {user.username})", user, f"{path}?{parameters}"))
    return found, missing


def measure(case: Case, deals: int) -> Row:
    client = Client()
    client.force_login(case.user)
    samples: list[Sample] = []
    size = 0
    say(f"reports: {case.name}: GET {case.url}")
    runs = RUNS
    index = 0
    while index < WARM_UPS + runs:
        response, sample = timed(lambda: client.get(case.url))
        if response.status_code != 200:
            raise BenchError(f"GET {case.url} as {case.user} answered {response.status_code}.")
        size = len(response.content)
        if index == 0 and sample.seconds > SLOW:
            runs = SLOW_RUNS
            say(f"reports: {case.name}: {duration(sample.seconds)} warming up; {runs} runs")
        if index >= WARM_UPS:
            samples.append(sample)
        index += 1
    row = Row.from_samples(case.name, samples, f"{deals:,} deals; {size / 1024:,.0f} KB")
    say(f"reports: {case.name}: median {duration(row.median)}, {row.queries} queries")
    for line in row.costliest:
        say(f"  {line}")
    return row


def run() -> list[Row]:
    deals = Opportunity.objects.count()
    period = quarter_of(timezone.localdate()).token
    rows: list[Row] = []
    for role in (Role.MANAGER, Role.ADMIN):
        found, missing = cases(first_user(role), period)
        if missing:
            say(f"reports: left out, not in this code: {', '.join(missing)}")
        rows += [measure(case, deals) for case in found]
    return rows
