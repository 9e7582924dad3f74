"""Shared fixtures: two teams and one user of every role.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie.
Ada is an admin. Tests name these people so that a reader sees who may do what.
"""

import pytest

from accounts.models import Role
from tests.factories import StageFactory, TeamFactory, UserFactory


@pytest.fixture
def north(db):
    return TeamFactory(name="North")


@pytest.fixture
def south(db):
    return TeamFactory(name="South")


@pytest.fixture
def maria(north):
    user = UserFactory(username="maria", role=Role.MANAGER, team=north)
    north.manager = user
    north.save(update_fields=["manager"])
    return user


@pytest.fixture
def alice(north, maria):
    return UserFactory(username="alice", team=north)


@pytest.fixture
def bob(north, maria):
    return UserFactory(username="bob", team=north)


@pytest.fixture
def sam(south):
    user = UserFactory(username="sam", role=Role.MANAGER, team=south)
    south.manager = user
    south.save(update_fields=["manager"])
    return user


@pytest.fixture
def charlie(south, sam):
    return UserFactory(username="charlie", team=south)


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", role=Role.ADMIN, is_staff=True)


@pytest.fixture
def stage(db):
    return StageFactory(name="Qualification", probability=20, rotting_days=14)
