"""Time ``seed_demo`` at a few sizes and print a table: deals, seconds, peak memory.

Usage (against a disposable, migrated database; every run starts with ``--flush``)::

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \
        .venv/bin/python bench/seed_demo_bench.py 10000 100000

``python -m bench --only seed`` does the same on a database of its own that it creates and
migrates first. Each size runs in a child process of its own so that its peak resident
memory is its own.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

if not __package__:  # run as a script, bench/seed_demo_bench.py: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, BenchDatabase, Row, django_environment, say

DEFAULT_SIZES = (2_000, 20_000)


def measure_in_this_process(deals: int) -> dict[str, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    # A throwaway database, maybe under DEBUG off: the demo's published passwords are fine.
    call_command(
        "seed_demo",
        deals=deals,
        flush=True,
        allow_published_passwords=True,
        stdout=io.StringIO(),
    )
    seconds = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"deals": deals, "seconds": seconds, "peak_mb": peak_mb}


def measure_in_child(size: int, environment: Mapping[str, str]) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.seed_demo_bench", "--child", str(size)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(environment),
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def run(database: BenchDatabase, sizes: Sequence[int]) -> list[Row]:
    """Seed ``database`` (created and migrated by the caller) at each size, in children."""
    environment = {**os.environ, **django_environment(database)}
    rows = []
    for size in sizes:
        say(f"seed: seed_demo --deals {size:,} --flush on {database.describe()}")
        result = measure_in_child(size, environment)
        seconds = result["seconds"]
        say(f"seed: {size:,} deals in {seconds:.1f}s")
        notes = f"{size / seconds:,.0f} deals/s, peak RSS {result['peak_mb']:.0f} MB"
        rows.append(Row.once(f"seed_demo {size:,} deals", seconds, notes))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(DEFAULT_SIZES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child is not None:
        print(json.dumps(measure_in_this_process(options.child)))
        return
    database = os.environ.get("DATABASE_URL", "sqlite (default)").split("@")[-1]
    print(f"seed_demo on {database}")
    print(f"{'deals':>10}  {'seconds':>8}  {'deals/s':>8}  {'peak MB':>8}")
    for size in options.sizes:
        row = measure_in_child(size, os.environ)
        rate = row["deals"] / row["seconds"]
        print(f"{size:>10,}  {row['seconds']:>8.1f}  {rate:>8,.0f}  {row['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
