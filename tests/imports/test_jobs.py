"""Running an uploaded import in the background: the task, its progress, its failures."""

import datetime as dt

# Registers the `celery.ping` task that start_worker's readiness check sends.
import celery.contrib.testing.tasks  # noqa: F401
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from crm.celery import app
from crm.imports import runner, services
from crm.imports.models import ImportChunk, ImportJob, ImportStatus
from crm.imports.runner import ProgressRecorder, run_import
from crm.imports.tasks import import_uploaded_file
from pipeline.models import Opportunity

MAPPING = {"title": "title", "company": "company"}


def queued_job(user, content: bytes) -> ImportJob:
    """An import uploaded, mapped and queued by ``user``, as the pages leave it."""
    job = services.upload_import(
        by=user,
        kind="deals",
        file_name="deals.csv",
        chunks=[content],
        encoding="utf-8-sig",
        delimiter="",
    )
    services.map_columns(by=user, job_id=job.pk, mapping=MAPPING)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    return job


def deals_csv(rows: int) -> bytes:
    return ("title,company\n" + "".join(f"Deal {n},Acme\n" for n in range(rows))).encode()


def test_the_task_imports_a_queued_upload(alice, acme, pipeline, celery_eager):
    job = queued_job(alice, deals_csv(3))

    import_uploaded_file.delay(job.pk)

    job.refresh_from_db()
    assert (job.status, job.created_count, job.rows_done) == (ImportStatus.DONE, 3, 3)
    assert job.started_at <= job.finished_at
    assert Opportunity.objects.count() == 3


def test_a_task_delivered_twice_imports_once(alice, acme, pipeline):
    job = queued_job(alice, deals_csv(3))

    run_import(job_id=job.pk)
    run_import(job_id=job.pk)

    assert Opportunity.objects.count() == 3


def test_an_import_whose_worker_died_is_run_again_when_the_task_comes_back(
    alice, acme, pipeline, settings
):
    job = queued_job(alice, deals_csv(3))
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, started_at=long_ago)

    run_import(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3)


def test_an_import_running_now_is_not_started_twice(alice, acme, pipeline):
    job = queued_job(alice, deals_csv(3))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )

    run_import(job_id=job.pk)

    assert not Opportunity.objects.exists()


def test_a_file_broken_after_upload_fails_the_job_with_its_line_and_writes_nothing(
    alice, acme, pipeline
):
    job = queued_job(alice, deals_csv(3))
    # The stored file changed under the job (a restore, a hand edit): the import re-reads it.
    ImportChunk.objects.filter(job=job).update(data=deals_csv(3) + "Bär,Acme\n".encode("cp1252"))

    run_import(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith("Line 5: the file is not valid UTF-8")
    assert not Opportunity.objects.exists()


def test_a_crash_fails_the_job_and_writes_nothing(alice, acme, pipeline, monkeypatch):
    job = queued_job(alice, deals_csv(3))
    monkeypatch.setattr(runner.WRITERS["deals"], "after_write", lambda self, plan: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        run_import(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "nothing was written" in job.error
    assert not Opportunity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_committed_while_the_import_is_still_open(alice, acme, pipeline, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite allows one writer at a time: there progress appears at commit")
    # Given a queued import of five rows, written two at a time
    job = queued_job(alice, deals_csv(5))
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    observer = connections.create_connection("default")
    seen: list[tuple[int, int]] = []
    record = ProgressRecorder.__call__

    def record_and_look(recorder, rows_done):
        record(recorder, rows_done)
        # Another process's view: the progress, and the deals (none until the commit).
        with observer.cursor() as cursor:
            cursor.execute("SELECT rows_done FROM imports_importjob WHERE id = %s", [job.pk])
            progress = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM pipeline_opportunity")
            seen.append((progress, cursor.fetchone()[0]))

    monkeypatch.setattr(ProgressRecorder, "__call__", record_and_look)

    # When it runs
    try:
        run_import(job_id=job.pk)
    finally:
        observer.close()

    # Then every batch's progress was visible at once, and the deals only at the end
    assert seen == [(2, 0), (4, 0), (5, 0)]
    assert Opportunity.objects.count() == 5


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_import_through_the_redis_broker(alice, acme, pipeline):
    # The in-memory transports would hide a broken Redis set-up: insist on the real ones.
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))
    job = queued_job(alice, deals_csv(4))

    with start_worker(app, perform_ping_check=True, shutdown_timeout=30):
        result = import_uploaded_file.apply_async(args=[job.pk], ignore_result=False)
        result.get(timeout=30)

    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 4)
    assert Opportunity.objects.count() == 4
