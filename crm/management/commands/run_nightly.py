"""``manage.py run_nightly [--date YYYY-MM-DD] [--only JOB ...] [--no-digest]``.

The nightly run without Celery: for cron, and for the demo. Prints each job's rows and time
and exits non-zero when a job failed or another run holds the lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm import nightly
from crm.models import JobRun, RunStatus


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: {value!r} is not a date like 2026-11-23") from None


class Command(BaseCommand):
    help = (
        "Run the nightly jobs (stale deals, overdue tasks, lead cadence, alerts, snapshot, digest)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=_day,
            default=None,
            help="the day to run for (default: today, UTC)",
        )
        parser.add_argument(
            "--only",
            nargs="+",
            choices=list(nightly.JOBS),
            metavar="JOB",
            help=f"run only these jobs: {', '.join(nightly.JOBS)}",
        )
        parser.add_argument(
            "--no-digest", action="store_true", help="do not send the daily digest emails"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"] or nightly.today()
        names = options["only"] or list(nightly.JOBS)
        if options["no_digest"]:
            names = [name for name in names if name != nightly.DIGEST]
        try:
            run = nightly.run_nightly(day=day, only=names)
        except nightly.NightlyRunBusy:
            raise CommandError("Another nightly run is in progress; nothing was run.") from None
        if run.status == RunStatus.FAILED:
            self._report(day, run)
            raise CommandError("Some nightly jobs failed; see the log and the admin settings page.")
        if options["verbosity"] > 0:
            self._report(day, run)

    def _report(self, day: dt.date, run: JobRun) -> None:
        self.stdout.write(f"Nightly run for {day.isoformat()}:")
        for step in run.steps.order_by("started_at", "pk"):
            line = f"  {step.job:<18} {step.rows:>9,} rows {step.seconds:>8.2f} s  {step.status}"
            style = self.style.SUCCESS if step.status == RunStatus.OK else self.style.ERROR
            self.stdout.write(style(line))
        total = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"  {'total':<18} {'':>14} {total:>8.2f} s")
