"""The real services behind the app: Redis as Celery broker and result backend, PostgreSQL.

Tests marked `services` are skipped when REDIS_URL is unset (a bare `make test`); `.ci/run`
starts Redis and PostgreSQL and sets CI_REQUIRE_SERVICES=1, under which nothing may skip.
"""

import os
import uuid

# Registers the `celery.ping` task that start_worker's readiness check sends.
import celery.contrib.testing.tasks  # noqa: F401
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection

from crm.celery import app


# Registered on the project's app at import time, before any worker starts, so the embedded
# worker knows it. The name is unique to this module: no real task can collide with it.
@app.task(name="tests.crm.test_services.multiply")
def multiply(left: int, right: int) -> int:
    return left * right


@pytest.mark.services
def test_celery_broker_connection_reaches_redis():
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=3)

        assert broker.connected


@pytest.mark.services
def test_redis_round_trip():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    key = f"crm-test:{uuid.uuid4()}"
    try:
        client.set(key, "pipeline", ex=60)

        assert client.get(key) == b"pipeline"
    finally:
        client.delete(key)
        client.close()


@pytest.mark.services
def test_worker_runs_a_task_through_the_redis_broker_and_result_backend():
    # The in-memory transports would hide a broken Redis set-up: insist on the real ones.
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))
    assert type(app.backend).__name__ == "RedisBackend"

    # Given a worker in a thread of this process, consuming from Redis (start_worker first
    # checks it answers celery.ping through the broker and the result backend)
    with start_worker(app, perform_ping_check=True, shutdown_timeout=30) as worker:
        # When a task goes out through the broker
        result = multiply.delay(6, 7)

        # Then its result comes back through the Redis result backend
        assert result.get(timeout=20) == 42
        assert result.successful()
        result.forget()

        # And the worker answers remote control over the broker too
        replies = app.control.ping(destination=[worker.hostname], timeout=5)
        assert replies == [{worker.hostname: {"ok": "pong"}}]


def test_ci_runs_on_postgresql():
    if os.environ.get("CI_REQUIRE_SERVICES") != "1":
        pytest.skip("checked only in CI (CI_REQUIRE_SERVICES=1); see the report header")

    assert connection.vendor == "postgresql"
