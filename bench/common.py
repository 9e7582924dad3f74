"""What the benchmarks share: the bench database, Django set-up, timing and the table.

Timings are wall-clock seconds around an in-process call. The machines are shared and
noisy, so the table shows medians and tails, never a single run, and nothing asserts on a
timing.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import environ

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
# The benchmarks drop and create their databases: only names with this prefix, so that a
# mistyped --database-url can never drop a database someone works in.
DATABASE_PREFIX = "crm_bench"
POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"

SQL_PREVIEW = 240

T = TypeVar("T")
_STARTED = time.monotonic()


class BenchError(Exception):
    """A benchmark cannot run as asked; the message says why and what to do."""


def say(message: str) -> None:
    """A progress line for whoever watches the terminal (flushed: output may be a pipe)."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


# --- The bench database --------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """A disposable database named by a URL in the form DATABASE_URL takes."""

    url: str
    config: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The same parser as crm.settings, so both agree on what the URL means.
        object.__setattr__(self, "config", environ.Env.db_url_config(self.url))

    @property
    def engine(self) -> str:
        return str(self.config["ENGINE"])

    @property
    def is_postgresql(self) -> bool:
        return self.engine == POSTGRESQL

    @property
    def is_sqlite(self) -> bool:
        return self.engine == SQLITE

    @property
    def name(self) -> str:
        """The database name (PostgreSQL) or the file name without its suffix (SQLite)."""
        name = str(self.config["NAME"])
        return Path(name).stem if self.is_sqlite else name

    def describe(self) -> str:
        if self.is_sqlite:
            return f"SQLite {self.config['NAME']}"
        host = self.config.get("HOST") or "localhost"
        return f"PostgreSQL {host}:{self.config.get('PORT') or 5432}/{self.name}"

    def check_disposable(self) -> None:
        if not (self.is_postgresql or self.is_sqlite):
            raise BenchError(f"Unsupported database engine {self.engine}.")
        if not self.name.startswith(DATABASE_PREFIX):
            raise BenchError(
                f"The benchmarks drop and recreate their database; {self.name!r} does not "
                f"start with {DATABASE_PREFIX!r}, so it is left alone. Name a disposable one."
            )

    def sibling(self, suffix: str) -> BenchDatabase:
        """Another disposable database beside this one: ``crm_bench`` -> ``crm_bench_seed``."""
        if self.is_sqlite:
            path = Path(str(self.config["NAME"]))
            return BenchDatabase(f"sqlite:///{path.with_stem(path.stem + suffix)}")
        base, _, query = self.url.partition("?")
        head, _, _ = base.rpartition("/")
        return BenchDatabase(f"{head}/{self.name}{suffix}" + (f"?{query}" if query else ""))

    def exists(self) -> bool:
        if self.is_sqlite:
            return Path(str(self.config["NAME"])).exists()
        with self._maintenance() as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
            ).fetchone()
        return found is not None

    def recreate(self) -> None:
        """Drop the database if it exists and create it empty."""
        self.check_disposable()
        if self.is_sqlite:
            Path(str(self.config["NAME"])).unlink(missing_ok=True)
            return
        from psycopg import sql

        with self._maintenance() as connection:
            name = sql.Identifier(self.name)
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))

    def _maintenance(self) -> Any:
        """An autocommit connection to the server's ``postgres`` database (DROP/CREATE)."""
        import psycopg

        config = self.config
        return psycopg.connect(
            dbname="postgres",
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            autocommit=True,
        )


def django_environment(database: BenchDatabase) -> dict[str, str]:
    """Environment for Django (in this process or a child) against ``database``.

    crm.settings_test is production settings with a throwaway key: DEBUG off, so Django
    neither keeps every query nor renders debug pages, as in production. The test client
    talks to the host "testserver". Nothing here goes through pytest-django, so the
    database is used under its own name, not renamed to test_*.
    """
    return {
        "DJANGO_SETTINGS_MODULE": "crm.settings_test",
        "DATABASE_URL": database.url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }


def setup_django(database: BenchDatabase) -> None:
    os.environ.update(django_environment(database))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(database: BenchDatabase, *arguments: str) -> None:
    """Run a management command against ``database`` in a child; its output streams through."""
    environment = {**os.environ, **django_environment(database)}
    command = [sys.executable, "manage.py", *arguments]
    subprocess.run(command, check=True, cwd=ROOT, env=environment)


def settle(database: BenchDatabase) -> None:
    """VACUUM (ANALYZE) a freshly seeded PostgreSQL database, as autovacuum soon would.

    Until a table is vacuumed its visibility map is empty, so an index-only scan (the
    reports' open-deals reads) visits every heap row it finds: measured right after
    seeding, the dashboards took three times as long as the same commit minutes later.
    ``database`` must be the one Django is set up for (``setup_django``).
    """
    if not database.is_postgresql:
        return
    from django.db import connection

    say("vacuuming and analysing the seeded tables")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    say(f"vacuumed in {time.perf_counter() - started:.0f} s")


# --- Timing ---------------------------------------------------------------------------------


@dataclass
class SqlRecorder:
    """Counts and times the SQL a call runs, through ``connection.execute_wrapper``.

    Lighter than CaptureQueriesContext (no debug cursor, no formatting of every query), so
    it can stay on for the timed runs; it sees the same statements.
    """

    count: int = 0
    seconds: float = 0.0
    statements: list[tuple[str, float]] = field(default_factory=list)

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            self.seconds += seconds
            self.count += 1
            self.statements.append((sql, seconds))


@dataclass(frozen=True)
class Sample:
    seconds: float
    queries: int = 0
    sql_seconds: float = 0.0
    # Each statement's SQL (parameters apart, so repeated runs group) and seconds.
    statements: tuple[tuple[str, float], ...] = ()


def timed(call: Callable[[], T]) -> tuple[T, Sample]:
    """Run ``call`` once; return its result and how long it took, in all and in SQL."""
    from django.db import connection

    recorder = SqlRecorder()
    with connection.execute_wrapper(recorder):
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    sample = Sample(seconds, recorder.count, recorder.seconds, tuple(recorder.statements))
    return result, sample


def costliest_statements(samples: Sequence[Sample], top: int = 3) -> list[str]:
    """The statements taking the most database time, per request on average, described."""
    totals: dict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    for sample in samples:
        for sql, seconds in sample.statements:
            totals[sql] += seconds
            calls[sql] += 1
    runs = max(len(samples), 1)
    ranked = sorted(totals, key=totals.__getitem__, reverse=True)[:top]
    return [
        f"{duration(totals[sql] / runs)} in {calls[sql] / runs:g} call(s): {sql_preview(sql)}"
        for sql in ranked
    ]


def sql_preview(sql: str) -> str:
    """The statement on one line, a SELECT's column list elided: what it reads, and how."""
    text = " ".join(sql.split())
    if text.startswith("SELECT "):
        depth = 0
        for index, character in enumerate(text):
            depth += {"(": 1, ")": -1}.get(character, 0)
            if depth == 0 and text.startswith(" FROM ", index):
                text = "SELECT …" + text[index:]
                break
    return text if len(text) <= SQL_PREVIEW else text[: SQL_PREVIEW - 1] + "…"


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile: p99 of 500 runs is the 495th fastest."""
    ordered = sorted(values)
    rank = max(math.ceil(percent / 100 * len(ordered)), 1)
    return ordered[rank - 1]


# --- The table ------------------------------------------------------------------------------

PASSED, MISSED, UNKNOWN = "✓", "✗", "?"


@dataclass(frozen=True)
class Target:
    """What the issue asks of a row's figures; a limit left None is not asked for.

    Times are compared with the row's median, p95 and p99, queries with the most any
    request ran (a page must stay within its count every time), kilobytes with the
    response's size.
    """

    median_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    queries: int | None = None
    kilobytes: float | None = None

    def describe(self, row: Row) -> str:
        """Each limit with ✓ (met), ✗ (missed) or ? (not measured: too few runs for it)."""
        checks = [
            ("median ≤ {:g} ms", self.median_ms, milliseconds(row.median)),
            ("p95 ≤ {:g} ms", self.p95_ms, milliseconds(row.p95)),
            ("p99 ≤ {:g} ms", self.p99_ms, milliseconds(row.p99)),
            ("≤ {:g} queries", self.queries, row.max_queries),
            ("≤ {:g} KB", self.kilobytes, row.kilobytes),
        ]
        return ", ".join(
            f"{text.format(limit)} {verdict(measured, limit)}"
            for text, limit, measured in checks
            if limit is not None
        )


def milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def verdict(measured: float | None, limit: float) -> str:
    if measured is None:
        return UNKNOWN
    return PASSED if measured <= limit else MISSED


@dataclass(frozen=True)
class Row:
    """One line of the table. Times in seconds; None shows as a dash."""

    benchmark: str
    runs: int
    median: float | None = None
    p90: float | None = None
    # Not a column: only the simultaneous moves' target asks for it (their notes show it).
    p95: float | None = None
    p99: float | None = None
    minimum: float | None = None
    sql_median: float | None = None
    queries: str = ""
    max_queries: int | None = None
    # The response's size, for pages.
    kilobytes: float | None = None
    target: Target | None = None
    notes: str = ""
    # The costliest SQL statements: printed under the table, for whoever hunts a slow page.
    costliest: tuple[str, ...] = ()

    @classmethod
    def once(cls, benchmark: str, seconds: float, notes: str = "") -> Row:
        """A run timed once as a whole, such as a seed: no SQL figures."""
        return cls(benchmark=benchmark, runs=1, median=seconds, minimum=seconds, notes=notes)

    @classmethod
    def from_samples(
        cls,
        benchmark: str,
        samples: Sequence[Sample],
        notes: str = "",
        target: Target | None = None,
    ) -> Row:
        """Median and minimum always; p90 from 10 runs, p95 from 20, p99 from 100 (else None)."""
        seconds = [sample.seconds for sample in samples]
        counts = sorted({sample.queries for sample in samples})
        queries = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
        return cls(
            benchmark=benchmark,
            runs=len(samples),
            median=statistics.median(seconds),
            p90=percentile(seconds, 90) if len(seconds) >= 10 else None,
            p95=percentile(seconds, 95) if len(seconds) >= 20 else None,
            p99=percentile(seconds, 99) if len(seconds) >= 100 else None,
            minimum=min(seconds),
            sql_median=statistics.median(sample.sql_seconds for sample in samples),
            queries=queries,
            max_queries=counts[-1],
            target=target,
            notes=notes,
            costliest=tuple(costliest_statements(samples)),
        )


HEADER = (
    "benchmark",
    "runs",
    "median",
    "p90",
    "p99",
    "min",
    "SQL (median)",
    "queries",
    "target",
    "notes",
)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 10:
        return f"{seconds:,.0f} s"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.1f} ms"


def render_table(rows: Iterable[Row]) -> str:
    """A Markdown table, aligned so that it also reads well in a terminal."""
    cells = [HEADER] + [
        (
            row.benchmark,
            f"{row.runs:,}",
            duration(row.median),
            duration(row.p90),
            duration(row.p99),
            duration(row.minimum),
            duration(row.sql_median),
            row.queries or "-",
            row.target.describe(row) if row.target else "",
            row.notes,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    right = {1, 2, 3, 4, 5, 6, 7}

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(width) if i in right else value.ljust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(cells[0]), line(rule), *(line(values) for values in cells[1:])])


def render_costliest(rows: Iterable[Row]) -> str:
    """Per benchmark, the statements behind its SQL time (mean per request)."""
    sections = []
    for row in rows:
        if row.costliest:
            lines = "\n".join(f"  - {line}" for line in row.costliest)
            sections.append(f"- {row.benchmark}\n{lines}")
    return "\n".join(sections)
