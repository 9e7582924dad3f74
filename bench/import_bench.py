"""Time the CSV import of 100,000 deals and measure its peak memory.

Usage (against a disposable, migrated database holding the demo's users and pipelines;
``--recreate`` makes one: drops, migrates and seeds a database whose name starts with
``crm_bench``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_import \
        .venv/bin/python bench/import_bench.py --rows 100000 [--scenario plain|history|both]

``python -m bench --only import`` runs both scenarios, each on a fresh database of its own
(``crm_bench_import``), which it creates, migrates and seeds with a small demo first.

Each step runs in a child process of its own, so that its peak resident memory is its own,
and each import is ``manage.py import_csv``'s own code path (crm.imports.runner.import_csv)
as the admin: one transaction, batches of 1,000.

- ``plain``: 5,000 companies are imported from a CSV, then a deals CSV of ``--rows`` rows
  that names those companies by external id, demo reps as owners, stages by name, European
  amounts and dates, and one bad amount in 200 rows; then the same deals file again, which
  updates every deal instead of creating it.
- ``history``: issue 12's acceptance line, a team moving in with 15 months of history
  (bench/import_history.py): users, companies, deals with owners by full name, products
  and their times, then their activities; the total is what the 60 s and 150 MB are about.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

if not __package__:  # run as a script, bench/import_bench.py: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, BenchDatabase, Row, django_environment, say
from bench.import_history import PARTS, write_history_files

DEFAULT_ROWS = 100_000
SCENARIOS = ("plain", "history")
ACTIVITIES_PER_DEAL = 2
COMPANIES = 5_000
BAD_ROW_EVERY = 200
SEED = 1
# The demo only provides users, teams and pipelines here; its deals are not what is timed.
DEMO_DEALS = 200
DEAL_MAPPING = {
    "external_id": "Deal ID",
    "title": "Deal",
    "company": "Account ID",
    "owner": "Owner",
    "stage": "Stage",
    "value": "Amount",
    "currency": "Currency",
    "expected_close_date": "Close date",
    "lost_reason": "Lost reason",
}
COMPANY_MAPPING = {"external_id": "Account ID", "name": "Account", "domain": "Website"}


def write_files(directory: Path, rows: int) -> dict[str, str]:
    """The companies and deals CSV files, from the database's users and first pipeline."""
    from accounts.models import Role, User
    from pipeline.models import Pipeline, StageKind

    random.seed(SEED)
    owners = list(
        User.objects.filter(role=Role.REP, is_active=True).values_list("username", flat=True)
    )
    pipeline = Pipeline.objects.active().first()
    if not owners or pipeline is None:
        raise SystemExit("The database needs the demo's reps and pipelines: run seed_demo first.")
    stages = list(pipeline.stages.in_use().values_list("name", "kind"))
    companies = directory / "companies.csv"
    with companies.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Account ID", "Account", "Website"])
        for number in range(COMPANIES):
            writer.writerow(
                [f"BENCH-C-{number}", f"Bench company {number}", f"bench{number}.example"]
            )
    deals = directory / "deals.csv"
    with deals.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(DEAL_MAPPING.values())
        for number in range(rows):
            stage, kind = random.choice(stages)
            amount = f"{random.randint(1_000, 250_000):,}".replace(",", ".") + ",00"
            if number % BAD_ROW_EVERY == BAD_ROW_EVERY - 1:
                amount = "n/a"
            close = f"{random.randint(1, 28):02d}.{random.randint(1, 12):02d}.2027"
            writer.writerow(
                [
                    f"BENCH-D-{number}",
                    f"Bench deal {number}",
                    f"BENCH-C-{random.randrange(COMPANIES)}",
                    random.choice(owners),
                    stage,
                    amount,
                    "EUR",
                    close,
                    "Went with a competitor" if kind == StageKind.LOST else "",
                ]
            )
    return {"companies": str(companies), "deals": str(deals)}


def import_file(kind: str, path: str, mapping: Mapping[str, str]) -> dict[str, float]:
    from accounts.models import User
    from crm.imports.parsing import CsvSource
    from crm.imports.runner import import_csv

    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    rejected: list[object] = []
    source = CsvSource(lambda: open(path, "rb"))  # noqa: SIM115 - closed by the reader
    # BENCH_PROFILE=DIR: each step's cProfile statistics go to DIR/<kind>.prof (the
    # profiler roughly doubles the Python side's time: profile runs are not figures).
    profile_directory = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_directory else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    outcome = import_csv(
        by=admin,
        kind=kind,
        source=source,
        mapping=mapping,
        # Rejections counted, not kept: the bench measures the import, not a report.
        on_rejections=lambda rows: rejected.append(len(rows)),
    )
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    if profiler and profile_directory:
        profiler.dump_stats(str(Path(profile_directory) / f"{kind}.prof"))
    return {
        "rows": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "rejected": outcome.rejected,
        "seconds": seconds,
        # ru_maxrss is in kilobytes on Linux.
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child_main(step: str, arguments: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings_test")
    import django

    django.setup()
    if step == "files":
        result: Mapping[str, object] = write_files(Path(arguments[0]), int(arguments[1]))
    elif step == "history-files":
        directory, rows, activities, leave_out = arguments
        files = write_history_files(
            Path(directory), int(rows), int(activities), set(filter(None, leave_out.split(",")))
        )
        result = {
            "steps": files.steps,
            "left_out": files.left_out,
            "deals": files.deals,
            "activities": files.activities,
        }
    else:
        result = import_file(step, arguments[0], json.loads(arguments[1]))
    print(json.dumps(result))


def in_child(step: str, *arguments: str, environment: Mapping[str, str]) -> dict:
    child = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--child", step, *arguments],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(environment),
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def describe(result: Mapping[str, float]) -> str:
    return (
        f"{result['rows'] / result['seconds']:,.0f} rows/s; {result['created']:,} created, "
        f"{result['updated']:,} updated, {result['rejected']:,} rejected; "
        f"peak RSS {result['peak_mb']:.0f} MB"
    )


def run(environment: Mapping[str, str], rows: int) -> list[Row]:
    """The plain scenario, in the database ``environment`` names (migrated, demo users)."""
    table = []
    with tempfile.TemporaryDirectory(prefix="crm-import-bench-") as directory:
        say(f"import: writing {COMPANIES:,} companies and {rows:,} deals as CSV")
        files = in_child("files", directory, str(rows), environment=environment)
        size_mb = Path(files["deals"]).stat().st_size / 1e6
        steps = [
            ("companies", files["companies"], f"import {COMPANIES:,} companies"),
            ("deals", files["deals"], f"import {rows:,} deals ({size_mb:.1f} MB CSV)"),
            ("deals", files["deals"], f"re-import the same {rows:,} deals (updates)"),
        ]
        for kind, path, label in steps:
            mapping = COMPANY_MAPPING if kind == "companies" else DEAL_MAPPING
            say(f"import: {label}")
            result = in_child(kind, path, json.dumps(mapping), environment=environment)
            say(f"import: {label}: {result['seconds']:.1f}s, {describe(result)}")
            table.append(Row.once(label, result["seconds"], describe(result)))
    return table


def run_history(
    environment: Mapping[str, str],
    rows: int,
    *,
    activities_per_deal: int = ACTIVITIES_PER_DEAL,
    leave_out: frozenset[str] = frozenset(),
) -> list[Row]:
    """The history scenario: every step, then the whole move's seconds and peak memory."""
    table = []
    with tempfile.TemporaryDirectory(prefix="crm-import-history-") as directory:
        say(f"import history: writing the files of {rows:,} deals")
        files = in_child(
            "history-files",
            directory,
            str(rows),
            str(activities_per_deal),
            ",".join(sorted(leave_out)),
            environment=environment,
        )
        for part in files["left_out"]:
            say(f"import history: left out: {part}")
        seconds = peak = 0.0
        counted = 0
        for kind, path, mapping in files["steps"]:
            size_mb = Path(path).stat().st_size / 1e6
            label = f"history: import {kind} ({size_mb:.1f} MB CSV)"
            say(f"import {label}")
            result = in_child(kind, path, json.dumps(mapping), environment=environment)
            say(f"import {label}: {result['seconds']:.1f}s, {describe(result)}")
            table.append(Row.once(label, result["seconds"], describe(result)))
            seconds += result["seconds"]
            peak = max(peak, result["peak_mb"])
            counted += int(result["rows"])
        notes = f"{counted:,} rows, {counted / seconds:,.0f} rows/s; peak RSS {peak:.0f} MB"
        if files["left_out"]:
            notes += "; left out: " + "; ".join(files["left_out"])
        label = (
            f"history: the whole move, {files['deals']:,} deals and "
            f"{files['activities']:,} activities"
        )
        say(f"import {label}: {seconds:.1f}s, {notes}")
        table.append(Row.once(label, seconds, notes))
    return table


def prepare(database: BenchDatabase, environment: Mapping[str, str]) -> None:
    """Drop, create, migrate and seed a small demo (users, teams, pipelines) into it."""
    say(f"import: recreating, migrating and seeding {database.describe()}")
    database.recreate()
    for arguments in (
        ("migrate", "--noinput", "--verbosity", "0"),
        # A throwaway database under DEBUG off: the demo's published passwords are fine.
        (
            "seed_demo",
            "--deals",
            str(DEMO_DEALS),
            "--seed",
            str(SEED),
            "--allow-published-passwords",
        ),
    ):
        subprocess.run(
            [sys.executable, "manage.py", *arguments],
            check=True,
            cwd=ROOT,
            env=dict(environment),
            stdout=subprocess.DEVNULL,
        )


def recreate_and_run(
    database: BenchDatabase, rows: int, scenarios: tuple[str, ...] = SCENARIOS
) -> list[Row]:
    """``python -m bench --only import``: each scenario on a fresh database with a small demo."""
    environment = {**os.environ, **django_environment(database)}
    table = []
    for scenario in scenarios:
        prepare(database, environment)
        table += run(environment, rows) if scenario == "plain" else run_history(environment, rows)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument(
        "--scenario", choices=(*SCENARIOS, "both"), default="plain", help="default %(default)s"
    )
    parser.add_argument(
        "--activities-per-deal",
        type=int,
        default=ACTIVITIES_PER_DEAL,
        help="history: tasks and touchpoints per deal (default %(default)s)",
    )
    parser.add_argument(
        "--leave-out",
        type=lambda value: frozenset(filter(None, value.split(","))),
        default=frozenset(),
        help=f"history: parts to leave out, of {','.join(PARTS)}",
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop, migrate and seed the database first (its name must start with crm_bench)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(options.child[0], options.child[1:])
        return
    unknown = sorted(options.leave_out - set(PARTS))
    if unknown:
        parser.error(f"--leave-out: unknown part(s) {', '.join(unknown)}; pick from {PARTS}")
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL to a migrated database holding the demo data.")
    database = BenchDatabase(url)
    environment = {**os.environ, **django_environment(database)}
    scenarios = SCENARIOS if options.scenario == "both" else (options.scenario,)
    table = []
    for number, scenario in enumerate(scenarios):
        if options.recreate or number:
            prepare(database, environment)
        if scenario == "plain":
            table += run(environment, options.rows)
        else:
            table += run_history(
                environment,
                options.rows,
                activities_per_deal=options.activities_per_deal,
                leave_out=options.leave_out,
            )
    for row in table:
        print(f"{row.benchmark}: {row.median:.1f} s; {row.notes}")


if __name__ == "__main__":
    main()
