"""The nightly run: every app's jobs in order, each one recorded, then the digests.

The only module that knows every app's jobs. Celery's beat calls it through
``crm.tasks.run_nightly``; cron users and the demo call it through
``manage.py run_nightly``. One failing job does not stop the others: its step is recorded
as failed with the error, logged, and retried later (``crm.tasks.retry_nightly_job``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.jobs import prune_sign_in_records
from accounts.models import Notification, NotificationKind, Role
from contacts.jobs import apply_lead_cadence
from crm.digest import send_digests
from crm.locks import NightlyRunBusy, advisory_lock, nightly_lock
from crm.models import JobRun, JobRunStep, RunStatus
from forecasting.jobs import recount_rollups, take_pipeline_snapshot
from pipeline.jobs import (
    flag_overdue_tasks,
    flag_stale_deals,
    prune_board_changes,
    raise_stage_alerts,
    recount_column_tallies,
)

logger = logging.getLogger(__name__)

# In order: the digest, last, reports what the jobs before it flagged.
JOBS: dict[str, Callable[[dt.date], int]] = {
    "stale_deals": flag_stale_deals,
    "overdue_tasks": flag_overdue_tasks,
    "lead_cadence": apply_lead_cadence,
    "stage_alerts": raise_stage_alerts,
    "column_tallies": recount_column_tallies,
    "pipeline_snapshot": take_pipeline_snapshot,
    "rollups": recount_rollups,
    "sign_in_records": prune_sign_in_records,
    "board_changes": prune_board_changes,
    "digest": send_digests,
}
DIGEST = "digest"

__all__ = ["JOBS", "NightlyRunBusy", "retry_step", "run_nightly", "today"]


def today() -> dt.date:
    """The day a run started now is for: today in UTC, whose cut-off has passed.

    (The site's local date could still be ahead of UTC, with a cut-off in the future.)
    """
    return timezone.now().astimezone(dt.UTC).date()


def run_nightly(*, day: dt.date, only: Sequence[str] | None = None) -> JobRun:
    """Run the jobs named in ``only`` (default: all, digest included) for ``day``.

    Raises NightlyRunBusy, and runs nothing, while another run holds the lock.
    """
    names = list(only) if only else list(JOBS)
    unknown = sorted(set(names) - JOBS.keys())
    if unknown:
        raise ValueError(f"unknown nightly job(s): {', '.join(unknown)}")
    with translation.override(settings.LANGUAGE_CODE), nightly_lock(day) as run:
        for name in JOBS:  # JOBS' order, whatever the order asked for
            if name in names:
                _attempt(JobRunStep.objects.create(run=run, job=name))
        _finish(run)
    return run


def retry_step(step_id: int) -> JobRunStep:
    """Run a failed step's job again for its run's day; a step that succeeded is left alone."""
    step = JobRunStep.objects.select_related("run").get(pk=step_id)
    if step.status != RunStatus.FAILED:
        return step
    with translation.override(settings.LANGUAGE_CODE), advisory_lock() as acquired:
        if not acquired:
            raise NightlyRunBusy
        step.attempts += 1
        _attempt(step)
        _finish(step.run)
    return step


def _attempt(step: JobRunStep) -> None:
    job = JOBS[step.job]
    step.started_at = timezone.now()
    started = time.perf_counter()
    try:
        rows = job(step.run.day)
    except Exception:
        # Broad on purpose: whatever one job raises, the others still run tonight.
        logger.exception("Nightly job %s for %s failed", step.job, step.run.day)
        step.status, step.rows, step.error = RunStatus.FAILED, 0, traceback.format_exc()
        _tell_admins(step)
    else:
        step.status, step.rows, step.error = RunStatus.OK, rows, ""
    step.seconds = round(time.perf_counter() - started, 3)
    step.save(update_fields=["started_at", "seconds", "rows", "status", "error", "attempts"])
    logger.info(
        "Nightly job %s for %s: %s, %s rows in %.2f s",
        step.job,
        step.run.day,
        step.status,
        step.rows,
        step.seconds,
    )


def _tell_admins(step: JobRunStep) -> None:
    """One notification per admin, job and night, however often its retries fail."""
    admins = get_user_model().objects.filter(
        Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True
    )
    message = gettext("Nightly job %(job)s failed for %(day)s; it will be retried.") % {
        "job": step.job,
        "day": step.run.day.isoformat(),
    }
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=admin,
                kind=NotificationKind.JOB_FAILED,
                message=message,
                url=reverse("crm:settings"),
                dedupe_key=f"job_failed:{step.run.day.isoformat()}:{step.job}",
            )
            for admin in admins.only("pk")
        ],
        ignore_conflicts=True,
    )


def _finish(run: JobRun) -> None:
    failed = run.steps.filter(status=RunStatus.FAILED).exists()
    run.status = RunStatus.FAILED if failed else RunStatus.OK
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
