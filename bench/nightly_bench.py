"""The nightly run over a million deals and two million tasks: time per job and peak memory.

``python -m bench --only nightly`` uses a PostgreSQL database of its own (``crm_bench`` +
``_nightly``): created, migrated and seeded with ``seed_demo --deals 1000000 --seed 1``
unless ``--reuse`` finds it holding enough deals. Tasks (and, if short, deals) are topped
up with one INSERT ... SELECT generate_series each. Then ``manage.py run_nightly`` runs in
a child process twice for the same day: the first run does the night's work, the second
shows it is idempotent. The child's own peak resident memory comes from ``wait4``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from typing import Any

import psycopg

from bench.common import ROOT, BenchDatabase, Row, django_environment, say

DEALS = 1_000_000
TASKS = 2_000_000
SEED = 1


def _connect(database: BenchDatabase) -> psycopg.Connection[Any]:
    config = database.config
    return psycopg.connect(
        dbname=database.name,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=True,
    )


def _manage(database: BenchDatabase, *arguments: str) -> tuple[float, float]:
    """Run a management command in a child; (seconds, the child's peak RSS in MB)."""
    environment = {**os.environ, **django_environment(database)}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), child.args)
    return seconds, usage.ru_maxrss / 1024  # kilobytes on Linux


def _count(database: BenchDatabase, table: str) -> int:
    with _connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _top_up_tasks(database: BenchDatabase, wanted: int) -> int:
    """Add tasks on existing deals up to ``wanted``: a quarter done, the rest open and due
    within 60 days before or 30 days after now. Those already past due are flagged overdue
    since their due date, as the demo data is: what the nightly job would have recorded had
    it been running all along, so that a benchmarked night does one night's work."""
    missing = wanted - _count(database, "pipeline_task")
    if missing <= 0:
        return 0
    say(f"adding {missing:,} tasks")
    sql = """
        WITH deal AS (
            SELECT id, owner_id, row_number() OVER (ORDER BY id) AS n FROM pipeline_opportunity
        ), total AS (SELECT count(*) AS deals FROM pipeline_opportunity)
        INSERT INTO pipeline_task (
            title, notes, due_at, done_at, overdue_since, assignee_id, created_by_id,
            created_at, opportunity_id
        )
        SELECT 'Follow up', '', due.at, done.at,
            CASE WHEN done.at IS NULL AND due.at < date_trunc('day', now() AT TIME ZONE 'UTC')
                AT TIME ZONE 'UTC' THEN (due.at AT TIME ZONE 'UTC')::date END,
            deal.owner_id, deal.owner_id, now() - interval '90 days', deal.id
        FROM generate_series(1, %s) AS g
        CROSS JOIN LATERAL (SELECT now() + ((g %% 90) - 60) * interval '1 day' AS at) AS due
        CROSS JOIN LATERAL (
            SELECT CASE WHEN g %% 4 = 0 THEN now() - interval '61 days' END AS at
        ) AS done
        CROSS JOIN total
        JOIN deal ON deal.n = 1 + g %% total.deals
    """
    with _connect(database) as connection:
        connection.execute(sql, [missing])
        connection.execute("ANALYZE pipeline_task")
    return missing


def _top_up_deals(database: BenchDatabase, wanted: int) -> int:
    """Copy existing deals (with their creation history row) up to ``wanted`` deals."""
    missing = wanted - _count(database, "pipeline_opportunity")
    if missing <= 0:
        return 0
    say(f"adding {missing:,} deals")
    columns = (
        "company_id, contact_id, lead_id, owner_id, pipeline_id, stage_id, value, currency, "
        "expected_close_date, forecast_category, position, stage_entered_at, last_touch_at, "
        "stale_since, checklist_done, version, status, lost_reason, closed_at, created_by_id, "
        "updated_by_id, created_at, updated_at"
    )
    with _connect(database) as connection, connection.transaction():
        connection.execute(
            f"""
            INSERT INTO pipeline_opportunity (title, external_id, {columns})
            SELECT title || ' (copy)', '', {columns}
            FROM pipeline_opportunity ORDER BY id LIMIT %s
            """,
            [missing],
        )
        connection.execute(
            """
            INSERT INTO pipeline_stagechange (opportunity_id, from_stage_id, to_stage_id, at)
            SELECT id, NULL, stage_id, stage_entered_at FROM pipeline_opportunity
            WHERE title LIKE '%% (copy)'
            """
        )
    return missing


def prepare(database: BenchDatabase, *, reuse: bool) -> list[Row]:
    rows: list[Row] = []
    if not (reuse and database.exists()):
        say(f"recreating {database.describe()}")
        database.recreate()
    _manage(database, "migrate", "--noinput", "--verbosity", "0")
    if _count(database, "pipeline_opportunity") == 0:
        say(f"seeding {DEALS:,} deals: seed_demo --deals {DEALS} --seed {SEED}")
        # A throwaway database under DEBUG off: the demo's published passwords are fine.
        seconds, peak = _manage(
            database,
            "seed_demo",
            "--allow-published-passwords",
            "--deals",
            str(DEALS),
            "--seed",
            str(SEED),
        )
        rows.append(Row.once(f"setup: seed_demo {DEALS:,} deals", seconds, f"peak {peak:.0f} MB"))
    started = time.perf_counter()
    added = _top_up_deals(database, DEALS), _top_up_tasks(database, TASKS)
    if any(added):
        rows.append(
            Row.once(
                "setup: top up deals and tasks",
                time.perf_counter() - started,
                f"+{added[0]:,} deals, +{added[1]:,} tasks",
            )
        )
    return rows


def _last_run(database: BenchDatabase) -> tuple[float, list[tuple[str, int, float, str]]]:
    """The last run's own duration (without process start-up) and its jobs."""
    with _connect(database) as connection:
        run_id, seconds = connection.execute(
            """
            SELECT id, extract(epoch FROM finished_at - started_at) FROM crm_jobrun
            ORDER BY id DESC LIMIT 1
            """
        ).fetchone()
        steps = connection.execute(
            "SELECT job, rows, seconds, status FROM crm_jobrunstep WHERE run_id = %s "
            "ORDER BY started_at, id",
            [run_id],
        ).fetchall()
    return float(seconds), steps


def _night(database: BenchDatabase, day: dt.date, label: str) -> list[Row]:
    say(f"nightly run for {day} ({label})")
    seconds, peak = _manage(database, "run_nightly", "--date", day.isoformat())
    run_seconds, steps = _last_run(database)
    rows = [
        Row.once(f"nightly {label}: {job}", job_seconds, f"{job_rows:,} rows, {status}")
        for job, job_rows, job_seconds, status in steps
    ]
    rows.append(Row.once(f"nightly {label}: all jobs", run_seconds, "JobRun start to finish"))
    rows.append(
        Row.once(
            f"nightly {label}: the process",
            seconds,
            f"with Django start-up; peak RSS {peak:.0f} MB",
        )
    )
    return rows


def run(database: BenchDatabase, *, reuse: bool) -> list[Row]:
    rows = prepare(database, reuse=reuse)
    deals = _count(database, "pipeline_opportunity")
    tasks = _count(database, "pipeline_task")
    say(f"{deals:,} deals, {tasks:,} tasks")
    with _connect(database) as connection:
        latest = connection.execute("SELECT max(stage_entered_at) FROM pipeline_opportunity")
        seeded_until = latest.fetchone()[0].date()
    # The day after the data ends (the seed's "today"), that day again (idempotent: no
    # work), and the night after: a night's new work, with a new snapshot and digests.
    day = seeded_until + dt.timedelta(days=1)
    rows += _night(database, day, f"{day}")
    rows += _night(database, day, f"{day} again")
    rows += _night(database, day + dt.timedelta(days=1), f"{day + dt.timedelta(days=1)}")
    return rows
