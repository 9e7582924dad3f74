"""Fixtures for import tests: a pipeline with open, won and lost stages, a company, eager Celery."""

from __future__ import annotations

import pytest

from crm.celery import app
from tests.factories import CompanyFactory, PipelineFactory, StageFactory


@pytest.fixture
def pipeline(db):
    """Sales: Prospecting, Proposal (open), Won and Lost."""
    sales = PipelineFactory(name="Sales", position=0)
    StageFactory(pipeline=sales, name="Prospecting", position=1, probability=10)
    StageFactory(pipeline=sales, name="Proposal", position=2, probability=50)
    StageFactory(pipeline=sales, name="Won", position=3, probability=100, kind="won")
    StageFactory(pipeline=sales, name="Lost", position=4, probability=0, kind="lost")
    return sales


@pytest.fixture
def acme(alice):
    return CompanyFactory(name="Acme", external_id="C-1", domain="acme.example", owner=alice)


@pytest.fixture
def celery_eager():
    """Tasks run in place when sent, as if a worker took them at once."""
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
