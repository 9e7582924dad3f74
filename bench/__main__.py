"""``python -m bench`` (``make bench``): seed a bench database, run the benchmarks, report.

Board and move share one PostgreSQL database holding at least ``--deals`` open deals,
created, migrated and seeded with ``seed_demo --seed 1`` first (``--reuse`` keeps one that
already holds deals). The seed benchmark seeds a database of its own at a few sizes, the
demo benchmark one of the default demo's size (bench/demo_bench.py), and the nightly
benchmark one of a million deals (bench/nightly_bench.py). One table of figures is
printed and written to artifacts/bench.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import import_bench, seed_demo_bench
from bench.common import (
    DEFAULT_DATABASE_URL,
    ROOT,
    BenchDatabase,
    BenchError,
    Row,
    manage,
    render_costliest,
    render_table,
    say,
    settle,
    setup_django,
)

BENCHMARKS = ("board", "demo", "move", "concurrent", "reports", "seed", "nightly", "import")
DEFAULT_OPEN_DEALS = 100_000
SEED = 1
# seed_demo writes 18 months of history: with --seed 1, 10.6% of its deals are still open
# (the rest won or lost). Seed this share, with a margin, to get the open deals asked for.
OPEN_SHARE = 0.106
MARGIN = 1.02
DEFAULT_REPORT = ROOT / "artifacts" / "bench.md"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--deals",
        type=int,
        default=DEFAULT_OPEN_DEALS,
        help=f"open deals the board and moves work on (default {DEFAULT_OPEN_DEALS:,}); "
        f"about {1 / OPEN_SHARE:.1f} times as many deals are seeded",
    )
    parser.add_argument(
        "--only",
        type=lambda value: [name.strip() for name in value.split(",") if name.strip()],
        default=list(BENCHMARKS),
        help=f"comma-separated benchmarks to run (default all: {','.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database, dropped and recreated: its name must start with crm_bench "
        "(default: $BENCH_DATABASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the bench database (and the demo's and nightly's) if it already holds "
        "deals (skips seeding)",
    )
    parser.add_argument(
        "--allow-sqlite",
        action="store_true",
        help="run on SQLite too (its figures say nothing about production)",
    )
    parser.add_argument("--moves", type=int, default=500, help="timed moves (default 500)")
    parser.add_argument(
        "--seed-sizes",
        type=lambda value: [int(size) for size in value.split(",")],
        default=list(seed_demo_bench.DEFAULT_SIZES),
        help="deals per run of the seed benchmark (default %(default)s)",
    )
    parser.add_argument(
        "--import-rows",
        type=int,
        default=import_bench.DEFAULT_ROWS,
        help="deals in the import benchmark's CSV file (default %(default)s)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_REPORT, help="%(default)s")
    options = parser.parse_args(argv)
    unknown = sorted(set(options.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(unknown)}; pick from {BENCHMARKS}")
    return options


def open_deals() -> int:
    from pipeline.models import Opportunity, OpportunityStatus

    return Opportunity.objects.filter(status=OpportunityStatus.OPEN).count()


def seed(database: BenchDatabase, deals: int, *, flush: bool) -> Row:
    say(f"seeding {deals:,} deals: manage.py seed_demo --deals {deals} --seed {SEED}")
    started = time.perf_counter()
    flags = ["--flush"] if flush else []
    # A throwaway database under production settings (DEBUG off): the demo passwords are fine.
    flags.append("--allow-published-passwords")
    manage(database, "seed_demo", "--deals", str(deals), "--seed", str(SEED), *flags)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    notes = f"{deals / seconds:,.0f} deals/s, peak RSS {peak_mb:.0f} MB"
    return Row.once(f"setup: seed_demo {deals:,} deals", seconds, notes)


def prepare(database: BenchDatabase, wanted: int, *, reuse: bool) -> tuple[list[Row], int]:
    """Get ``database`` migrated and holding ``wanted`` open deals; (seed rows, open deals)."""
    reuse = reuse and database.exists()
    if not reuse:
        say(f"recreating {database.describe()}")
        database.recreate()
    say("migrating")
    manage(database, "migrate", "--noinput", "--verbosity", "0")
    setup_django(database)
    found = open_deals()
    if reuse and found:
        say(f"reusing the bench database: {found:,} open deals")
        if found < wanted:
            say(f"WARNING: fewer open deals than --deals {wanted:,}; drop --reuse to reseed")
        return [], found
    deals = math.ceil(wanted / OPEN_SHARE * MARGIN / 1000) * 1000
    rows = [seed(database, deals, flush=reuse)]
    found = open_deals()
    if found < wanted:
        # The share moved (seed_demo changed): seed again at the share just measured.
        deals = math.ceil(deals * wanted / max(found, 1) * MARGIN / 1000) * 1000
        say(f"only {found:,} open deals; seeding again with {deals:,}")
        rows = [seed(database, deals, flush=True)]
        found = open_deals()
    say(f"{found:,} open deals")
    settle(database)
    return rows, found


def describe_run(database: BenchDatabase, open_count: int | None, seconds: float) -> list[str]:
    import django

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"- when: {time.strftime('%Y-%m-%d %H:%M %Z')}; commit {git_commit()}; "
        f"bench wall time {seconds / 60:.1f} min",
        f"- database: {database.describe()}"
        + (f" (server {database_version()})" if open_count is not None else ""),
        f"- machine: {os.cpu_count()} CPUs, load average {load} (at the end); "
        f"Python {platform.python_version()}, Django {django.get_version()}",
        "- server time in-process (django.test.Client), crm.settings_test (DEBUG off); "
        "SQL = time inside the database driver",
    ]
    if open_count is not None:
        lines.insert(2, f"- open deals: {open_count:,} ({total_deals():,} deals in all)")
    return lines


def git_commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    )
    return found.stdout.strip() or "unknown"


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT split_part(current_setting('server_version'), ' ', 1)")
        else:
            cursor.execute("SELECT sqlite_version()")
        return str(cursor.fetchone()[0])


def total_deals() -> int:
    from pipeline.models import Opportunity

    return Opportunity.objects.count()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    started = time.monotonic()
    database = BenchDatabase(options.database_url)
    try:
        if database.is_sqlite and not options.allow_sqlite:
            raise BenchError(
                "Refusing to benchmark SQLite: production runs PostgreSQL and SQLite's "
                "figures say nothing about it. Pass --allow-sqlite to run anyway."
            )
        database.check_disposable()
        rows: list[Row] = []
        open_count = None
        if {"board", "move", "concurrent", "reports"} & set(options.only):
            seed_rows, open_count = prepare(database, options.deals, reuse=options.reuse)
            rows += seed_rows
        if "board" in options.only:
            from bench import board_bench

            rows += board_bench.run()
        if "demo" in options.only:
            from bench import demo_bench

            rows += demo_bench.run(database.sibling("_demo"), reuse=options.reuse)
        if "reports" in options.only:
            from bench import dashboard_bench

            rows += dashboard_bench.run()
        if "move" in options.only:
            from bench import move_bench

            rows += move_bench.run(options.moves)
        if "concurrent" in options.only:
            from bench import concurrent_moves

            rows += concurrent_moves.run()
        if "seed" in options.only:
            seed_database = database.sibling("_seed")
            say(f"seed benchmark: recreating and migrating {seed_database.describe()}")
            seed_database.recreate()
            manage(seed_database, "migrate", "--noinput", "--verbosity", "0")
            rows += seed_demo_bench.run(seed_database, options.seed_sizes)
        if "nightly" in options.only:
            from bench import nightly_bench

            rows += nightly_bench.run(database.sibling("_nightly"), reuse=options.reuse)
        if "import" in options.only:
            rows += import_bench.recreate_and_run(database.sibling("_import"), options.import_rows)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    header = describe_run(database, open_count, time.monotonic() - started)
    sections = ["# Pipeline CRM benchmarks", "\n".join(header), render_table(rows)]
    costliest = render_costliest(rows)
    if costliest:
        sections.append(f"Costliest SQL statements (mean time per request):\n\n{costliest}")
    report = "\n\n".join(sections) + "\n"
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(report)
    print(f"\n{report}\nWritten to {options.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
