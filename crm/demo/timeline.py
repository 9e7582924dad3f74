"""A deal's path through its pipeline, simulated forward from the day it was created.

Walking forward (rather than picking a current stage and inventing a past for it) makes the
history consistent by construction: each move starts where the previous one ended, deals
created recently are still open, and a deal that stalls long enough is stale today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from crm.demo.clock import DAY, office_moment
from crm.demo.pipelines import Layout
from pipeline.models import StageKind

# One deal in twenty stalls in some stage, long past the stage's rotting days.
STALL_CHANCE = 0.05
SKIP_CHANCE = 0.06


@dataclass(slots=True)
class Timeline:
    # Stage indexes into the layout, the first being the stage the deal was created in;
    # moments are offsets in seconds from the anchor, strictly increasing and negative.
    stages: list[int]
    moments: list[int]

    @property
    def stage(self) -> int:
        return self.stages[-1]

    @property
    def entered_at(self) -> int:
        return self.moments[-1]


def _days_in_stage(rng: random.Random, typical: int, rotting: int | None) -> int:
    days = max(1, round(typical * rng.uniform(0.3, 1.3)))
    if rng.random() < STALL_CHANCE:
        limit = rotting or typical * 3
        days += rng.randint(limit, 4 * limit)
    return days


def _next_stage(rng: random.Random, layout: Layout, current: int, stepped_back: bool) -> int:
    spec = layout.spec.stages[current]
    if rng.random() < spec.loss_chance:
        return layout.lost
    if current > 0 and not stepped_back and rng.random() < spec.step_back_chance:
        return current - 1
    if current + 2 < layout.open_count and rng.random() < SKIP_CHANCE:
        return current + 2
    return current + 1


def simulate(
    rng: random.Random, layout: Layout, *, first_stage: int, start_day: int, utc_offset: int
) -> Timeline:
    """The deal's stage changes from its creation on ``start_day`` (negative) until today.

    A move that would fall on the anchor day or later has not happened yet: the deal is
    still open in the stage it reached.
    """
    day = start_day
    timeline = Timeline(stages=[first_stage], moments=[office_moment(rng, day, utc_offset)])
    stepped_back = False
    current = first_stage
    while layout.spec.stages[current].kind == StageKind.OPEN:
        spec = layout.spec.stages[current]
        day += _days_in_stage(rng, spec.typical_days, spec.rotting_days)
        if day >= 0:
            break
        following = _next_stage(rng, layout, current, stepped_back)
        stepped_back = stepped_back or following < current
        # A whole day apart at least, and office hours span less than a day: strictly later.
        timeline.stages.append(following)
        timeline.moments.append(office_moment(rng, day, utc_offset))
        current = following
    return timeline


def is_stale(timeline: Timeline, rotting_days: int | None) -> bool:
    return rotting_days is not None and timeline.entered_at + rotting_days * DAY < 0
