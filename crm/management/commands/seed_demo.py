"""``manage.py seed_demo``: fill an empty database with deterministic demo data."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.demo.people import DEMO_PASSWORD, ROSTER, demo_logins
from crm.demo.progress import Progress
from crm.demo.seed import SeedPlan, database_is_empty, row_counts, seed_demo

DEFAULT_DEALS = 2_000
DEFAULT_SEED = 1


def parse_day(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from None


def non_negative(value: str | int) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: an admin, three sales teams, two pipelines, "
        "companies, contacts, leads and deals with 18 months of history, touchpoints, tasks "
        "and quotas, products and line items, buying teams and custom fields. The same "
        "--seed and --today always give the same data. Refuses a database that already "
        "holds data unless --if-empty or --flush is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deals",
            type=non_negative,
            default=DEFAULT_DEALS,
            help=f"number of deals (default {DEFAULT_DEALS:,}); a million works on PostgreSQL",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--today",
            type=parse_day,
            help="the day the history ends, YYYY-MM-DD (default: today, UTC)",
        )
        parser.add_argument(
            "--batch-size",
            type=non_negative,
            default=5_000,
            help="deals generated and inserted at a time; bounds memory (default 5,000)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="on a database that already holds data, seed nothing and print the logins",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="delete ALL data in the database first (as 'manage.py flush'), then seed",
        )
        parser.add_argument(
            "--allow-published-passwords",
            action="store_true",
            help=(
                f"seed even with DEBUG off, although every demo user, the admin too, gets "
                f"the password {DEMO_PASSWORD!r} printed in the README"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and options["flush"]:
            raise CommandError("--if-empty and --flush contradict each other; pick one.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        empty = database_is_empty()
        if not empty and options["if_empty"]:
            self.stdout.write("The database already holds data: seeding skipped.")
            self._print_logins()
            return
        if not empty and not options["flush"]:
            raise CommandError(
                "The database already holds data, and seed_demo fills an empty database "
                "only. Point DATABASE_URL at a fresh database, or pass --flush to delete "
                "everything in this one first (--if-empty skips seeding instead)."
            )
        if not settings.DEBUG and not options["allow_published_passwords"]:
            raise CommandError(
                f"Refusing to seed: DEBUG is off, so this may be a production site, and "
                f"seed_demo would create {len(ROSTER)} users, the superuser 'admin' among "
                f"them, whose password {DEMO_PASSWORD!r} is published in the README for "
                f"anyone to read. For a local demo run it with DEBUG=true (make run does); "
                f"if a server really should hold the demo, pass --allow-published-passwords "
                f"and change the passwords."
            )
        try:
            today = parse_day(options["today"] or dt.datetime.now(dt.UTC).date())
        except argparse.ArgumentTypeError as error:  # call_command skips argparse's types
            raise CommandError(f"--today: {error}") from None
        plan = SeedPlan(
            deals=options["deals"],
            seed=options["seed"],
            today=today,
            batch_size=options["batch_size"],
        )
        progress = Progress(self._say)
        seed_demo(plan, progress, flush=options["flush"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded the demo in {progress.elapsed:.1f}s (seed {plan.seed}, today {today})."
            )
        )
        counts = row_counts()
        width = max(len(label) for label, _count in counts)
        for label, count in counts:
            self.stdout.write(f"  {label:<{width}}  {count:>12,}")
        self._print_logins()

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        # Progress is for someone watching: do not let a pipe's buffer hold it back.
        self.stdout.flush()

    def _print_logins(self) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo users in this database.")
            return
        self.stdout.write(f"Demo logins (every password is {DEMO_PASSWORD!r}):")
        header = ("username", "role", "team", "password")
        widths = [max(len(row[i]) for row in [header, *logins]) for i in range(len(header))]
        for row in [header, *logins]:
            self.stdout.write(
                "  "
                + "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)).rstrip()
            )
