"""Fixtures for API tests: a pipeline as a sales team has it, and no rate limits.

``api_as(alice)`` (tests/conftest.py) is an APIClient with Alice's session. Rate limits are
off here (tests/accounts/test_throttling.py covers them): a test making many requests must
not depend on what earlier tests left in the counters.
"""

from dataclasses import dataclass

import pytest

from pipeline.models import Pipeline, Stage, StageKind
from tests.factories import PipelineFactory, StageFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": None, "sustained": None},
    }


@dataclass
class Sales:
    """A pipeline as a sales team has it: two open stages, then won and lost."""

    pipeline: Pipeline
    qualification: Stage
    proposal: Stage
    won: Stage
    lost: Stage


@pytest.fixture
def sales(db) -> Sales:
    pipeline = PipelineFactory(name="New business")
    return Sales(
        pipeline=pipeline,
        qualification=StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        proposal=StageFactory(
            pipeline=pipeline,
            name="Proposal",
            position=2,
            probability=60,
            entry_fields=["expected_close_date"],
            entry_checklist=["Budget confirmed"],
        ),
        won=StageFactory(
            pipeline=pipeline,
            name="Won",
            position=3,
            probability=100,
            rotting_days=None,
            kind=StageKind.WON,
        ),
        lost=StageFactory(
            pipeline=pipeline,
            name="Lost",
            position=4,
            probability=0,
            rotting_days=None,
            kind=StageKind.LOST,
        ),
    )
