"""The board on the default demo: what someone trying Pipeline CRM out sees first.

A database of its own (``crm_bench_demo`` beside ``crm_bench``), seeded with plain
``seed_demo --seed 1`` (its default size, 2,000 deals) and vacuumed like the bench database;
then the admin's board page of the biggest pipeline, measured as the board benchmark
measures its pages (``board_bench.measure``).

It runs in a child process: Django in the parent may already be set up for the bench
database, and its settings, connections and in-memory cache belong to that database.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    BenchDatabase,
    BenchError,
    Row,
    Target,
    manage,
    say,
    settle,
    setup_django,
)

SEED = 1
# What the issue "The board at 100,000 open deals" asks of the demo's board.
TARGET = Target(median_ms=30, kilobytes=150)


def run(database: BenchDatabase, *, reuse: bool) -> list[Row]:
    """Prepare ``database`` and measure its board in a child; the child's output streams."""
    with tempfile.TemporaryDirectory(prefix="crm-demo-bench-") as directory:
        result = Path(directory) / "row.json"
        command = [
            sys.executable,
            "-m",
            "bench.demo_bench",
            "--database-url",
            database.url,
            "--result",
            str(result),
            *(["--reuse"] if reuse else []),
        ]
        child = subprocess.run(command, cwd=ROOT, check=False)
        if child.returncode != 0:
            raise BenchError(f"The demo benchmark failed (exit status {child.returncode}).")
        return [row_from_json(json.loads(result.read_text()))]


def prepare(database: BenchDatabase, *, reuse: bool) -> int:
    """Get ``database`` migrated and seeded with the default demo; how many deals it holds."""
    reuse = reuse and database.exists()
    if not reuse:
        say(f"demo: recreating {database.describe()}")
        database.recreate()
    say("demo: migrating")
    manage(database, "migrate", "--noinput", "--verbosity", "0")
    setup_django(database)
    from pipeline.models import Opportunity

    found = Opportunity.objects.count()
    if reuse and found:
        say(f"demo: reusing {database.describe()}: {found:,} deals")
        return found
    say(f"demo: seeding: manage.py seed_demo --seed {SEED}")
    # A throwaway database under production settings (DEBUG off): the demo passwords are fine.
    flags = ["--flush"] if reuse else []
    manage(database, "seed_demo", "--seed", str(SEED), "--allow-published-passwords", *flags)
    settle(database)
    return Opportunity.objects.count()


def measure_board(database: BenchDatabase, *, reuse: bool) -> Row:
    deals = prepare(database, reuse=reuse)
    from accounts.models import Role
    from bench import board_bench

    pipeline = board_bench.biggest_pipeline()
    admin = board_bench.first_user(Role.ADMIN)
    say(f"demo: pipeline {pipeline.name!r} (id {pipeline.pk}); admin {admin}")
    name = f"demo ({deals:,} deals): board page (admin: {admin.username})"
    return board_bench.measure(board_bench.board_case(name, admin, pipeline, TARGET))


def row_from_json(data: dict[str, Any]) -> Row:
    """The row ``dataclasses.asdict`` wrote, its target and tuple restored."""
    target, costliest = data.pop("target"), data.pop("costliest")
    return Row(**data, target=Target(**target) if target else None, costliest=tuple(costliest))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--result", type=Path, required=True, help="where the row goes (JSON)")
    options = parser.parse_args(argv)
    database = BenchDatabase(options.database_url)
    try:
        database.check_disposable()
        row = measure_board(database, reuse=options.reuse)
    except BenchError as error:
        print(f"bench demo: {error}", file=sys.stderr)
        return 2
    options.result.write_text(json.dumps(dataclasses.asdict(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
