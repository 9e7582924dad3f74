"""Quarterly quotas per rep and per team, over the history and the quarter ahead."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from crm.demo.clock import Clock
from crm.demo.deals import OPENING_DAYS, opening_density
from crm.demo.people import People
from forecasting.models import Quota

# Closed-won value a demo deal brings on average, measured on generated data: it keeps
# quotas in proportion to the deals whatever --deals is.
WON_VALUE_PER_DEAL = 5_000
# Deals close about this long after they open, so a quarter's wins follow earlier inflow.
CLOSING_LAG_DAYS = 45
# Targets sit a little above what the team is expected to win.
STRETCH = 1.1


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(start: dt.date) -> dt.date:
    return dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)


def quarters(clock: Clock) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each whole quarter since go-live, the current one and the next.

    The next quarter is there because pipeline coverage is about what closes next.
    """
    start = quarter_start(clock.history_start.date())
    if start < clock.history_start.date():
        start = next_quarter(start)  # nobody sets targets for the quarter before go-live
    last = next_quarter(quarter_start(clock.today))
    spans = []
    while start <= last:
        following = next_quarter(start)
        spans.append((start, following - dt.timedelta(days=1)))
        start = following
    return spans


def create_quotas(rng: random.Random, clock: Clock, people: People, *, deals: int) -> int:
    won_per_day = deals * WON_VALUE_PER_DEAL / OPENING_DAYS
    reps = people.reps
    talent = {rep.pk: rng.uniform(0.85, 1.15) for rep in reps}
    rows = []
    for start, end in quarters(clock):
        middle = start + (end - start) / 2
        inflow = opening_density((clock.today - middle).days + CLOSING_LAG_DAYS)
        per_rep = won_per_day * ((end - start).days + 1) * inflow * STRETCH / len(reps)
        team_totals: dict[int, Decimal] = {}
        for rep in reps:
            # Targets are set in round thousands.
            amount = Decimal(max(1_000, round(per_rep * talent[rep.pk], -3)))
            team_totals[rep.team_id] = team_totals.get(rep.team_id, Decimal(0)) + amount
            rows.append(Quota(user=rep, period_start=start, period_end=end, amount=amount))
        rows.extend(
            Quota(team=team, period_start=start, period_end=end, amount=team_totals[team.pk])
            for team in people.teams
        )
    Quota.objects.bulk_create(rows)
    return len(rows)
