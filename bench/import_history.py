"""The files of the import benchmark's "history" scenario: a team moving in with its past.

Issue 12's acceptance line: a 100,000-deal history with owners by full name, products and
activities, imported in 60 s and 150 MB. The files are what such a move brings:

- users.csv: 40 reps with an old CRM's id, user name, email, first and last name, team;
- companies.csv: 5,000 accounts by external id;
- deals.csv: ``rows`` deals over the last 15 months, owners by full name written as people
  type them ("  anna   EXAMPLE"), a product of the catalogue by name (case and spaces
  varied, one in ten by the alias "ProX"), a quantity, created, entered-stage, won and lost
  times and a first-engaged time, status and stage, lost deals with a reason half the time;
- tasks.csv and touchpoints.csv: ``activities_per_deal`` activities per deal, half tasks
  (due, some done) and half touchpoints (call, email, meeting or note), linked by deal id.

Columns use the field names of the presets' shared contract. A field the code being
measured does not import yet (the parts adding them may not be merged) is left out of the
mapping and named in the report, as is a whole file whose kind cannot be imported: the
scenario runs in full once they are there, unchanged. ``leave_out`` leaves parts out on
purpose (``--leave-out products,activities``).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

COMPANIES = 5_000
SEED = 1
HISTORY_DAYS = 455  # 15 months
FIRST_NAMES = ("Anna", "Bruno", "Chiara", "Dewi", "Emil", "Farah", "Giulia", "Hannes")
LAST_NAMES = ("Example", "Muster", "Rossi", "Santoso", "Weber")
# Name, code, EUR unit price, aliases: "ProX" is how the old CRM wrote "Pro X".
CATALOGUE = (
    ("Starter", "BENCH-ST", "490.00", []),
    ("Pro X", "BENCH-PX", "1290.00", ["ProX"]),
    ("Enterprise Suite", "BENCH-ES", "9900.00", []),
    ("Onboarding Day", "BENCH-OD", "1200.00", []),
    ("Support Plan", "BENCH-SP", "2400.00", []),
)
PARTS = ("users", "owners_by_name", "times", "status", "products", "activities")
WHEN = "%Y-%m-%d %H:%M:%S"  # as Pipedrive writes times: unambiguous, no date order to decide


@dataclass
class HistoryFiles:
    """What to import, in order: (kind, path, field -> column) per step; what was left out."""

    steps: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    deals: int = 0
    activities: int = 0


def full_names() -> list[tuple[str, str]]:
    return [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]


def as_typed(first: str, last: str, rng: random.Random) -> str:
    """A full name as people type it into another CRM's owner column."""
    return rng.choice(
        (
            f"{first} {last}",
            f"{first.lower()} {last.lower()}",
            f"  {first}   {last.upper()} ",
            f"{first.upper()} {last}",
        )
    )


def write_history_files(
    directory: Path, rows: int, activities_per_deal: int, leave_out: set[str]
) -> HistoryFiles:
    """Write the files, set up what the files assume (catalogue; users if no users import)."""
    from accounts.models import Role, Team, User
    from crm.imports.kinds import FIELDS, fields_of
    from crm.imports.models import ImportKind
    from pipeline.models import Pipeline, StageKind

    rng = random.Random(SEED)
    result = HistoryFiles(deals=rows)
    known = {kind: {f.name for f in fields_of(kind)} for kind in FIELDS}
    skipped: list[str] = []

    def mapping(kind: str, wanted: dict[str, str]) -> dict[str, str]:
        absent = sorted(set(wanted) - known.get(kind, set()))
        if absent:
            skipped.append(f"{kind}: {', '.join(absent)} (not importable here)")
        return {name: column for name, column in wanted.items() if name not in absent}

    def wanted(part: str) -> bool:
        if part in leave_out:
            skipped.append(f"{part} (--leave-out)")
            return False
        return True

    pipeline = Pipeline.objects.active().first()
    if pipeline is None:
        raise SystemExit("The database needs the demo's pipelines: run seed_demo first.")
    stages = list(pipeline.stages.in_use().values_list("name", "kind"))
    teams = list(Team.objects.order_by("pk").values_list("name", flat=True)) or [""]
    names = full_names()
    usernames = [f"{first}.{last}".lower() for first, last in names]

    # Users: imported when this code has a users import, else created as the admin would.
    users_path = directory / "users.csv"
    user_columns = {
        "external_id": "User ID",
        "username": "Username",
        "email": "Email",
        "first_name": "First name",
        "last_name": "Last name",
        "role": "Role",
        "team": "Team",
    }
    with users_path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(user_columns.values())
        for number, ((first, last), username) in enumerate(zip(names, usernames, strict=True)):
            team = teams[number % len(teams)]
            email = f"{username}@bench.example"
            writer.writerow([f"005BENCH{number:04d}", username, email, first, last, "rep", team])
    if wanted("users") and ImportKind.USERS in FIELDS:
        result.steps.append(
            (ImportKind.USERS, str(users_path), mapping(ImportKind.USERS, user_columns))
        )
    else:
        if "users" not in leave_out:
            skipped.append("users import (no users kind here: created directly, not timed)")
        by_team = {team.name: team for team in Team.objects.all()}
        for number, ((first, last), username) in enumerate(zip(names, usernames, strict=True)):
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@bench.example",
                    "role": Role.REP,
                    "team": by_team.get(teams[number % len(teams)]),
                    "external_id": f"005BENCH{number:04d}",
                },
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])

    by_name = wanted("owners_by_name") and _owners_match_by_full_name()
    if not by_name and "owners_by_name" not in leave_out:
        skipped.append("owners by full name (not matched here: owners by user name)")
    products = wanted("products") and "product" in known[ImportKind.DEALS]
    if products:
        _catalogue()

    companies = directory / "companies.csv"
    with companies.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Account ID", "Account", "Website"])
        for number in range(COMPANIES):
            writer.writerow(
                [f"BENCH-H-C-{number}", f"History company {number}", f"history{number}.example"]
            )
    result.steps.append(
        (
            ImportKind.COMPANIES,
            str(companies),
            {"external_id": "Account ID", "name": "Account", "domain": "Website"},
        )
    )

    deal_columns = {
        "external_id": "Deal - ID",
        "title": "Deal - Title",
        "company": "Deal - Organization ID",
        "owner": "Deal - Owner",
        "stage": "Deal - Stage",
        "value": "Deal - Value",
        "currency": "Deal - Currency",
        "expected_close_date": "Deal - Expected close date",
        "lost_reason": "Deal - Lost reason",
    }
    if wanted("times"):
        deal_columns |= {
            "created_at": "Deal - Deal created",
            "stage_entered_at": "Deal - Last stage change",
            "won_at": "Deal - Won time",
            "lost_at": "Deal - Lost time",
            "first_engaged_at": "Deal - First activity",
        }
    if wanted("status"):
        deal_columns["status"] = "Deal - Status"
    if products:
        deal_columns |= {"product": "Deal - Product", "quantity": "Deal - Product quantity"}
    elif "products" not in leave_out:
        skipped.append("deals: product, quantity (not importable here)")
    deal_mapping = mapping(ImportKind.DEALS, deal_columns)
    # Without the history part every lost deal needs a reason; with it, "Not recorded".
    reasons_optional = "created_at" in deal_mapping

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    status_of = {StageKind.OPEN: "open", StageKind.WON: "won", StageKind.LOST: "lost"}
    deals = directory / "deals.csv"
    created_of: list[dt.datetime] = []
    with deals.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(deal_columns.values())
        for number in range(rows):
            stage, kind = rng.choice(stages)
            created = now - dt.timedelta(seconds=rng.randint(86_400, HISTORY_DAYS * 86_400))
            entered = created + (now - created) * rng.random() * 0.9
            engaged = created + (entered - created) * rng.random() if rng.random() < 0.5 else None
            closed = entered if kind != StageKind.OPEN else None
            first, last = rng.choice(names)
            product_name, _code, unit_price, _aliases = rng.choice(CATALOGUE)
            quantity = rng.randint(1, 20)
            # With a product, the value is what its line item comes to, as the deal writer
            # checks; without, any amount.
            value = (
                Decimal(unit_price) * quantity if products else Decimal(rng.randint(1_000, 250_000))
            )
            if product_name == "Pro X" and rng.random() < 0.5:
                product_name = "ProX"
            elif rng.random() < 0.3:
                product_name = f" {product_name.upper()} "
            reason = "Went with a competitor" if kind == StageKind.LOST else ""
            if reasons_optional and rng.random() < 0.5:
                reason = ""
            close_date = (
                closed.date() if closed else (now + dt.timedelta(days=rng.randint(1, 180))).date()
            )
            values = {
                "external_id": f"BENCH-H-D-{number}",
                "title": f"History deal {number}",
                "company": f"BENCH-H-C-{rng.randrange(COMPANIES)}",
                "owner": as_typed(first, last, rng) if by_name else f"{first}.{last}".lower(),
                "stage": stage,
                "value": f"{value:.2f}",
                "currency": "EUR",
                "expected_close_date": close_date.isoformat(),
                "lost_reason": reason,
                "created_at": created.strftime(WHEN),
                "stage_entered_at": entered.strftime(WHEN),
                "won_at": closed.strftime(WHEN) if kind == StageKind.WON and closed else "",
                "lost_at": closed.strftime(WHEN) if kind == StageKind.LOST and closed else "",
                "first_engaged_at": engaged.strftime(WHEN) if engaged else "",
                "status": status_of[kind],
                "product": product_name,
                "quantity": str(quantity),
            }
            writer.writerow([values[name] for name in deal_columns])
            created_of.append(created)
    result.steps.append((ImportKind.DEALS, str(deals), deal_mapping))

    if wanted("activities"):
        for kind in (ImportKind.TASKS, ImportKind.TOUCHPOINTS):
            if kind not in FIELDS:
                skipped.append(f"{kind} file (no {kind} import here)")
        tasks_each = activities_per_deal // 2
        touchpoints_each = activities_per_deal - tasks_each
        if ImportKind.TASKS in FIELDS and tasks_each:
            path, columns = _tasks(directory, created_of, tasks_each, names, by_name, now, rng)
            result.steps.append((ImportKind.TASKS, path, mapping(ImportKind.TASKS, columns)))
            result.activities += rows * tasks_each
        if ImportKind.TOUCHPOINTS in FIELDS and touchpoints_each:
            path, columns = _touchpoints(
                directory, created_of, touchpoints_each, names, by_name, now, rng
            )
            result.steps.append(
                (ImportKind.TOUCHPOINTS, path, mapping(ImportKind.TOUCHPOINTS, columns))
            )
            result.activities += rows * touchpoints_each
    result.left_out = skipped
    return result


def _owner(names, by_name: bool, rng: random.Random) -> str:
    first, last = rng.choice(names)
    return as_typed(first, last, rng) if by_name else f"{first}.{last}".lower()


def _tasks(directory, created_of, each, names, by_name, now, rng) -> tuple[str, dict[str, str]]:
    columns = {
        "external_id": "Activity ID",
        "title": "Subject",
        "due_at": "Due date",
        "done": "Done",
        "done_at": "Marked as done time",
        "owner": "Assigned to user",
        "deal": "Deal ID",
    }
    path = directory / "tasks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns.values())
        for number, created in enumerate(created_of):
            for index in range(each):
                due = created + (now - created) * rng.random()
                done = due < now - dt.timedelta(days=3) and rng.random() < 0.7
                writer.writerow(
                    [
                        f"BENCH-H-T-{number}-{index}",
                        rng.choice(("Send proposal", "Call back", "Book a demo")),
                        due.strftime(WHEN),
                        "yes" if done else "no",
                        due.strftime(WHEN) if done else "",
                        _owner(names, by_name, rng),
                        f"BENCH-H-D-{number}",
                    ]
                )
    return str(path), columns


def _touchpoints(
    directory, created_of, each, names, by_name, now, rng
) -> tuple[str, dict[str, str]]:
    columns = {
        "external_id": "Activity ID",
        "kind": "Type",
        "at": "Date",
        "summary": "Note",
        "owner": "Owner",
        "deal": "Deal ID",
    }
    path = directory / "touchpoints.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns.values())
        for number, created in enumerate(created_of):
            for index in range(each):
                at = created + (now - created) * rng.random()
                writer.writerow(
                    [
                        f"BENCH-H-A-{number}-{index}",
                        rng.choice(("call", "email", "meeting", "note")),
                        at.strftime(WHEN),
                        "Talked about the renewal",
                        _owner(names, by_name, rng),
                        f"BENCH-H-D-{number}",
                    ]
                )
    return str(path), columns


def _owners_match_by_full_name() -> bool:
    """Whether this code's owner lookup finds a user by full name, spaces and case aside."""
    from accounts.models import User
    from crm.imports.owners import OwnerLookup
    from crm.imports.parsing import CellError

    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    named = User.objects.filter(is_active=True).exclude(first_name="").exclude(last_name="")
    user = named.order_by("pk").first()
    if admin is None or user is None:
        return False
    typed = f"  {user.first_name.upper()}   {user.last_name.lower()} "
    lookup = OwnerLookup(admin)
    lookup.load([typed])
    try:
        return lookup.owner_id(typed) == user.pk
    except CellError:
        return False


def _catalogue() -> None:
    from decimal import Decimal

    from pipeline.models import Product, ProductPrice

    for name, code, price, aliases in CATALOGUE:
        product, _ = Product.objects.update_or_create(
            code=code, defaults={"name": name, "aliases": aliases, "is_active": True}
        )
        ProductPrice.objects.update_or_create(
            product=product, currency="EUR", defaults={"unit_price": Decimal(price)}
        )
