"""The nightly run's lock: one run at a time, across every worker, beat and cron job.

On PostgreSQL a session advisory lock: the server releases it when a worker dies, so a run
left "running" by a dead worker is closed as failed as soon as the next run gets the lock.
On every database (SQLite for the demo, too) the JobRun row itself is a lock: a unique
constraint allows one "running" row. Without an advisory lock, a row still "running" after
ABANDONED_AFTER is presumed to belong to a dead process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.models import JobRun, RunStatus

# An arbitrary 64-bit key that no other code in this database takes.
ADVISORY_LOCK_KEY = 0x6E69676874_4A4F42  # "night" "JOB"
# Longer than the Celery hard time limit (30 minutes by default) with a wide margin.
ABANDONED_AFTER = dt.timedelta(hours=6)


class NightlyRunBusy(Exception):
    """Another nightly run holds the lock."""


@contextmanager
def advisory_lock() -> Iterator[bool]:
    """Try the PostgreSQL advisory lock; yields whether it is held (always True elsewhere)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])


@contextmanager
def nightly_lock(day: dt.date) -> Iterator[JobRun]:
    """Hold the nightly lock and yield this run's JobRun; NightlyRunBusy when taken."""
    with advisory_lock() as acquired:
        if not acquired:
            raise NightlyRunBusy
        now = timezone.now()
        # Holding the advisory lock proves any "running" row is a dead run's.
        abandoned_before = now if connection.vendor == "postgresql" else now - ABANDONED_AFTER
        JobRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=abandoned_before).update(
            status=RunStatus.FAILED, finished_at=now
        )
        try:
            with transaction.atomic():
                run = JobRun.objects.create(day=day, started_at=now)
        except IntegrityError:
            raise NightlyRunBusy from None
        yield run
