"""The nightly run: every job recorded, failures isolated and retried, one run at a time.

The jobs' own rules are tested beside their apps (tests/pipeline/test_jobs.py,
tests/contacts/test_cadence_job.py, tests/forecasting/test_snapshot_job.py).
"""

import datetime as dt
from contextlib import contextmanager
from io import StringIO

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from crm import nightly, tasks
from crm.celery import app
from crm.locks import ABANDONED_AFTER, ADVISORY_LOCK_KEY, NightlyRunBusy
from crm.models import JobRun, JobRunStep, RunStatus
from pipeline.jobs import cutoff_of
from pipeline.models import Opportunity, Task
from tests.factories import OpportunityFactory, TaskFactory

DAY = dt.date(2026, 11, 23)
JOB_NAMES = list(nightly.JOBS)


def broken_job(day: dt.date) -> int:
    raise RuntimeError(f"lead table unreachable on {day}")


@pytest.fixture
def stale_deal(alice, stage):
    entered = cutoff_of(DAY) - dt.timedelta(days=20)
    return OpportunityFactory(
        owner=alice, stage=stage, stage_entered_at=entered, created_at=entered
    )


@contextmanager
def another_run_in_progress():
    """Another process in the middle of a nightly run, as each database sees it."""
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            yield
    else:
        JobRun.objects.create(day=DAY, started_at=timezone.now())
        yield


# --- The run -------------------------------------------------------------------------------


def test_run_records_every_job_in_order_with_its_rows(stale_deal):
    run = nightly.run_nightly(day=DAY)

    assert run.status == RunStatus.OK
    assert run.finished_at is not None
    steps = list(run.steps.order_by("started_at", "pk"))
    assert [step.job for step in steps] == JOB_NAMES
    assert all(step.status == RunStatus.OK and step.attempts == 1 for step in steps)
    rows = {step.job: step.rows for step in steps}
    assert rows["stale_deals"] == 2  # the flag and the owner's notification
    assert rows["pipeline_snapshot"] == 1
    stale_deal.refresh_from_db()
    assert stale_deal.stale_since == DAY - dt.timedelta(days=6)


def test_run_only_runs_the_jobs_asked_for_in_the_usual_order(stale_deal):
    run = nightly.run_nightly(day=DAY, only=["pipeline_snapshot", "stale_deals"])

    assert list(run.steps.order_by("started_at", "pk").values_list("job", flat=True)) == [
        "stale_deals",
        "pipeline_snapshot",
    ]


def test_unknown_job_is_refused_before_anything_runs(db):
    with pytest.raises(ValueError, match="unknown nightly job"):
        nightly.run_nightly(day=DAY, only=["stale_deals", "tidy_up"])

    assert not JobRun.objects.exists()


def test_failing_job_is_recorded_and_the_others_still_run(monkeypatch, stale_deal, caplog):
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)

    run = nightly.run_nightly(day=DAY)

    assert run.status == RunStatus.FAILED
    statuses = dict(run.steps.values_list("job", "status"))
    assert statuses.pop("lead_cadence") == RunStatus.FAILED
    assert set(statuses.values()) == {RunStatus.OK}
    failed = run.steps.get(job="lead_cadence")
    assert "lead table unreachable on 2026-11-23" in failed.error
    assert "Nightly job lead_cadence for 2026-11-23 failed" in caplog.text
    stale_deal.refresh_from_db()
    assert stale_deal.stale_since is not None


def test_admins_are_told_once_when_a_job_fails(monkeypatch, stale_deal, ada, alice, maria):
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)
    run = nightly.run_nightly(day=DAY)

    nightly.retry_step(run.steps.get(job="lead_cadence").pk)  # fails again

    told = Notification.objects.filter(kind=NotificationKind.JOB_FAILED)
    assert [n.recipient for n in told] == [ada]
    assert "lead_cadence" in told.get().message
    assert told.get().url == reverse("crm:settings")


def test_no_one_is_told_when_every_job_succeeds(stale_deal, ada):
    nightly.run_nightly(day=DAY)

    assert not Notification.objects.filter(kind=NotificationKind.JOB_FAILED).exists()


def test_failed_job_retried_successfully_closes_the_run(monkeypatch, stale_deal):
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)
    run = nightly.run_nightly(day=DAY)
    failed = run.steps.get(job="lead_cadence")
    monkeypatch.undo()

    step = nightly.retry_step(failed.pk)

    assert (step.status, step.attempts, step.error) == (RunStatus.OK, 2, "")
    run.refresh_from_db()
    assert run.status == RunStatus.OK


def test_retrying_a_job_that_succeeded_runs_nothing(stale_deal):
    run = nightly.run_nightly(day=DAY)
    step = run.steps.get(job="stale_deals")

    assert nightly.retry_step(step.pk).attempts == 1


# --- One run at a time ---------------------------------------------------------------------


def test_second_run_while_one_is_in_progress_runs_nothing(stale_deal):
    with another_run_in_progress():
        runs_before = JobRun.objects.count()

        with pytest.raises(NightlyRunBusy):
            nightly.run_nightly(day=DAY)

        assert JobRun.objects.count() == runs_before
    assert not JobRunStep.objects.exists()
    stale_deal.refresh_from_db()
    assert stale_deal.stale_since is None


def test_run_left_running_by_a_dead_process_does_not_block_the_next(stale_deal):
    dead = JobRun.objects.create(
        day=DAY, started_at=timezone.now() - ABANDONED_AFTER - dt.timedelta(minutes=1)
    )

    run = nightly.run_nightly(day=DAY)

    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert run.status == RunStatus.OK


def test_lock_is_released_after_a_run(stale_deal):
    nightly.run_nightly(day=DAY, only=["stale_deals"])

    again = nightly.run_nightly(day=DAY, only=["stale_deals"])

    assert again.status == RunStatus.OK


# --- The management command ----------------------------------------------------------------


def run_command(*arguments: str) -> str:
    out = StringIO()
    call_command("run_nightly", *arguments, stdout=out)
    return out.getvalue()


def test_command_prints_each_job_with_rows_and_time(stale_deal):
    output = run_command("--date", "2026-11-23", "--no-digest")

    assert "Nightly run for 2026-11-23" in output
    for name in JOB_NAMES[:-1]:
        assert name in output
    assert "digest" not in output
    assert JobRun.objects.get().day == DAY


def test_quiet_command_runs_the_jobs_and_prints_nothing(stale_deal):
    output = run_command("--date", "2026-11-23", "--no-digest", "--verbosity", "0")

    assert output == ""
    assert JobRun.objects.get().status == RunStatus.OK


def test_command_runs_only_the_named_jobs(stale_deal):
    run_command("--date", "2026-11-23", "--only", "overdue_tasks")

    assert list(JobRunStep.objects.values_list("job", flat=True)) == ["overdue_tasks"]


def test_command_defaults_to_today_in_utc(stale_deal):
    run_command("--only", "overdue_tasks")

    assert JobRun.objects.get().day == timezone.now().astimezone(dt.UTC).date()


def test_command_rejects_a_malformed_date(db):
    with pytest.raises(CommandError, match=r"--date: '23\.11\.2026' is not a date"):
        run_command("--date", "23.11.2026")


def test_command_fails_when_a_job_fails(monkeypatch, stale_deal):
    monkeypatch.setitem(nightly.JOBS, "overdue_tasks", broken_job)

    with pytest.raises(CommandError, match="Some nightly jobs failed"):
        run_command("--date", "2026-11-23", "--no-digest")


def test_command_refuses_while_another_run_is_in_progress(stale_deal):
    with another_run_in_progress(), pytest.raises(CommandError, match="in progress"):
        run_command("--date", "2026-11-23")


# --- Celery --------------------------------------------------------------------------------


def test_beat_sends_the_nightly_task_at_nightly_at():
    entry = settings.CELERY_BEAT_SCHEDULE["run-nightly"]

    assert entry["task"] == "crm.run_nightly" == tasks.run_nightly.name
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    assert "crm.run_nightly" in app.tasks


def test_task_runs_the_night_and_schedules_a_retry_per_failed_job(monkeypatch, stale_deal):
    retries = []
    monkeypatch.setattr(
        tasks.retry_nightly_job,
        "apply_async",
        lambda args, countdown: retries.append((args, countdown)),
    )
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)

    summary = tasks.run_nightly("2026-11-23")

    failed = JobRunStep.objects.get(job="lead_cadence")
    assert summary["status"] == RunStatus.FAILED
    assert summary["steps"]["stale_deals"]["rows"] == 2
    assert retries == [((failed.pk,), tasks.RETRY_BACKOFF_SECONDS)]


def test_task_skips_while_another_run_is_in_progress(stale_deal):
    with another_run_in_progress():
        assert tasks.run_nightly("2026-11-23") == {"day": "2026-11-23", "status": "skipped"}


def test_retry_task_raises_while_the_job_still_fails_so_celery_retries_it(monkeypatch, stale_deal):
    monkeypatch.setattr(tasks.retry_nightly_job, "apply_async", lambda *a, **k: None)
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)
    tasks.run_nightly("2026-11-23")
    failed = JobRunStep.objects.get(job="lead_cadence")

    with pytest.raises(tasks.NightlyJobFailed, match="lead table unreachable"):
        tasks.retry_nightly_job(failed.pk)

    failed.refresh_from_db()
    assert failed.attempts == 2


# --- The settings page shows the last runs -------------------------------------------------


def test_settings_page_lists_the_last_runs_with_their_jobs(
    client, ada, stale_deal, monkeypatch, django_assert_num_queries
):
    monkeypatch.setitem(nightly.JOBS, "lead_cadence", broken_job)
    nightly.run_nightly(day=DAY)
    client.force_login(ada)
    url = reverse("crm:settings")

    # Session, user, pipelines, stages, teams, members, runs, their jobs.
    with django_assert_num_queries(8):
        response = client.get(url)
    for later in range(1, 5):
        nightly.run_nightly(day=DAY + dt.timedelta(days=later), only=["overdue_tasks"])
    with django_assert_num_queries(8):
        response = client.get(url)

    content = response.content.decode()
    assert "Nightly jobs" in content
    assert "lead_cadence" in content
    assert len(response.context["nightly_runs"]) == 5


# --- The real thing: a Celery worker on the Redis broker -----------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_nightly_task_through_the_redis_broker(alice, stage):
    entered = cutoff_of(DAY) - dt.timedelta(days=20)
    deal = OpportunityFactory(owner=alice, stage=stage, stage_entered_at=entered)
    task = TaskFactory(opportunity=deal, due_at=cutoff_of(DAY) - dt.timedelta(days=2))
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))

    # Given a worker consuming from Redis, when beat's task goes out through the broker
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        result = tasks.run_nightly.delay("2026-11-23")
        summary = result.get(timeout=60)
        result.forget()

    # Then the night ran in the worker and its effects are in the database
    assert summary["status"] == RunStatus.OK
    assert set(summary["steps"]) == set(JOB_NAMES)
    deal.refresh_from_db()
    task.refresh_from_db()
    assert deal.stale_since == DAY - dt.timedelta(days=6)
    assert task.overdue_since == DAY - dt.timedelta(days=2)
    assert JobRun.objects.get().status == RunStatus.OK


# --- The demo data agrees with the jobs ----------------------------------------------------


def test_demo_data_is_flagged_as_the_nightly_jobs_would_flag_it(db):
    call_command(
        "seed_demo",
        deals=400,
        today=DAY.isoformat(),
        allow_published_passwords=True,  # tests run with DEBUG off
        stdout=StringIO(),
    )
    stale = dict(Opportunity.objects.values_list("pk", "stale_since"))
    overdue = dict(Task.objects.values_list("pk", "overdue_since"))
    assert any(stale.values())
    assert any(overdue.values())

    nightly.run_nightly(day=DAY, only=["stale_deals", "overdue_tasks"])

    assert dict(Opportunity.objects.values_list("pk", "stale_since")) == stale
    assert dict(Task.objects.values_list("pk", "overdue_since")) == overdue
