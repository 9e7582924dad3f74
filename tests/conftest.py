"""Shared fixtures: two teams and one user of every role.

Team North: manager Maria, reps Alice and Bob. Team South: manager Sam, rep Charlie.
Ada is an admin. Tests name these people so that a reader sees who may do what.
"""

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, User
from pipeline.services.buying_roles import add_default_buying_roles
from tests.browser import CHROMIUM_MISSING_REASON, chromium_available, chromium_path
from tests.factories import StageFactory, TeamFactory, UserFactory

BROWSER_DIR = Path(__file__).parent / "browser"


@pytest.fixture(autouse=True)
def default_buying_roles(request):
    """The buying roles migration 0010 adds, there for every test with a database.

    A transactional test (every browser test) ends by emptying every table, the rows data
    migrations wrote with them, so a later test in the same process would find no roles:
    they are put back (one query when they are there) instead of trusted to be there.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    add_default_buying_roles()


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
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(db) -> Callable[[User], APIClient]:
    """``api_as(alice)``: an API client with Alice's session, as a browser has after sign-in."""

    def signed_in(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def stage(db):
    return StageFactory(name="Qualification", probability=20, rotting_days=14)


# --- Session checks, report header and skips -------------------------------------------------
# `make test` must pass on a bare machine (SQLite, no Redis, no Chromium) and say what it
# skipped; CI sets CI_REQUIRE_SERVICES=1 so that it can never fall back to that silently.

SERVICES_SKIP_REASON = "REDIS_URL is not set: service tests need a real Redis (.ci/run sets it)"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL", "").strip()


def _services_required() -> bool:
    return os.environ.get("CI_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _database_description() -> str:
    from django.db import connection

    settings_dict = connection.settings_dict
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(test_name):
            return "sqlite (in-memory test db)"
        return f"sqlite (test db {test_name})"
    host = settings_dict.get("HOST") or "local socket"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{connection.vendor} {settings_dict['NAME']} @{host}{port} (test db {test_name})"


def pytest_configure(config: pytest.Config) -> None:
    if not _services_required():
        return
    from django.db import connection

    problems = []
    if connection.vendor != "postgresql":
        problems.append(f"the database is {connection.vendor}, not PostgreSQL (set DATABASE_URL)")
    if not _redis_url():
        problems.append("REDIS_URL is not set")
    if not chromium_available():
        problems.append(f"{chromium_path()} is missing ({CHROMIUM_MISSING_REASON})")
    if problems:
        raise pytest.UsageError("CI_REQUIRE_SERVICES=1 but " + "; ".join(problems))


def pytest_report_header(config: pytest.Config) -> list[str]:
    redis_url = _redis_url()
    return [
        f"database: {_database_description()}",
        f"redis: {_without_password(redis_url)}"
        if redis_url
        else "redis: not configured (REDIS_URL unset) — service tests will be skipped",
        f"browser: {chromium_path()}"
        if chromium_available()
        else f"browser: {chromium_path()} missing — browser tests will be skipped",
        "services required (CI_REQUIRE_SERVICES=1): " + ("yes" if _services_required() else "no"),
    ]


def _is_browser_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or item.path.is_relative_to(BROWSER_DIR)


@pytest.hookimpl(trylast=True)  # after pytest-django has sorted the tests by database use
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_services = pytest.mark.skip(reason=SERVICES_SKIP_REASON)
    skip_browser = pytest.mark.skip(reason=CHROMIUM_MISSING_REASON)
    redis_configured = bool(_redis_url())
    has_chromium = chromium_available()
    for item in items:
        if item.get_closest_marker("services") and not redis_configured:
            item.add_marker(skip_services)
        if _is_browser_test(item) and not has_chromium:
            item.add_marker(skip_browser)
    # Browser tests run last: Playwright's sync API keeps an event loop marked as running in
    # the main thread while the browser is open, which Django's async-safety checks refuse.
    items.sort(key=_is_browser_test)
