"""Celery tasks for the nightly run: thin wrappers around crm.nightly.

Beat sends ``crm.run_nightly`` at NIGHTLY_AT. A job that fails in it is recorded and
retried on its own by ``crm.retry_nightly_job``, with exponential backoff, while the rest of
the run carries on.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task

from crm import nightly
from crm.locks import NightlyRunBusy
from crm.models import JobRun, JobRunStep, RunStatus

logger = logging.getLogger(__name__)

# First retry after five minutes, then 10, 20, 40 (Celery's retry_backoff doubles it):
# long enough for a restarted database or mail server, short enough to finish by morning.
RETRY_BACKOFF_SECONDS = 5 * 60
MAX_RETRIES = 4
# A night takes about a minute at a million deals (bench/README.md): one still going after
# 25 minutes is stuck, not busy. The soft limit fails the job at hand, and the run goes on.
SOFT_TIME_LIMIT = 25 * 60
TIME_LIMIT = 30 * 60


class NightlyJobFailed(Exception):
    """A retried nightly job failed again."""


def _summary(run: JobRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "day": run.day.isoformat(),
        "status": run.status,
        "steps": {
            step.job: {"status": step.status, "rows": step.rows, "seconds": step.seconds}
            for step in run.steps.all()
        },
    }


@shared_task(name="crm.run_nightly", soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def run_nightly(day: str | None = None, only: list[str] | None = None) -> dict[str, Any]:
    """Run the nightly jobs for ``day`` (ISO date; default today in UTC)."""
    on = dt.date.fromisoformat(day) if day else nightly.today()
    try:
        run = nightly.run_nightly(day=on, only=only)
    except NightlyRunBusy:
        logger.warning("Nightly run for %s skipped: another run holds the lock", on)
        return {"day": on.isoformat(), "status": "skipped"}
    for step in run.steps.filter(status=RunStatus.FAILED):
        retry_nightly_job.apply_async((step.pk,), countdown=RETRY_BACKOFF_SECONDS)
    return _summary(run)


@shared_task(
    name="crm.retry_nightly_job",
    autoretry_for=(NightlyJobFailed, NightlyRunBusy),
    retry_backoff=RETRY_BACKOFF_SECONDS * 2,
    retry_backoff_max=6 * 60 * 60,
    retry_jitter=False,  # one task a night: no herd to spread, and the schedule above holds
    max_retries=MAX_RETRIES - 1,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def retry_nightly_job(step_id: int) -> dict[str, Any]:
    """Run one failed job of a nightly run again; raise (and so retry) while it fails."""
    step: JobRunStep = nightly.retry_step(step_id)
    if step.status == RunStatus.FAILED:
        raise NightlyJobFailed(f"{step.job} for {step.run.day}: {step.error.strip()[-300:]}")
    return {"step": step.pk, "job": step.job, "status": step.status, "rows": step.rows}
