"""Fixtures for API tests: clients signed in as each of the shared people, and a pipeline.

``api_as(alice)`` is an APIClient with Alice's session, as the browser would have after
signing in. Rate limits are off here (tests/accounts/test_throttling.py covers them): a
test making many requests must not depend on what earlier tests left in the counters.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from pipeline.models import Pipeline, Stage, StageKind
from tests.factories import PipelineFactory, StageFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": None, "sustained": None},
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(db) -> Callable[[User], APIClient]:
    def signed_in(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


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
