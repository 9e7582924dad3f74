"""The board's column tallies: appended to by PostgreSQL, recounted and folded nightly.

- Triggers on the deals table (migration ``pipeline.0018_column_tallies``) append each
  insert's, update's and delete's difference as new tally rows,
  in the writing statement's own transaction: whatever writes a deal (a service, an
  import's COPY, the admin, a bulk UPDATE) keeps them exact with no code of its own. Rows
  are only ever inserted by writers, never updated, so two writers never wait for each
  other on a tally row: a board move does not queue behind an import of the same owner's
  deals that holds its transaction open for minutes.
- A key's figures are the sum of its rows. ``compact`` folds the rows of each key that has
  several into one; it deletes exactly the rows it summed (locked first, skipping those
  another compaction holds), so rows appended meanwhile are kept, and reads see the same
  sums before and after.
- ``recount`` reads the deals and the tallies in one snapshot (REPEATABLE READ on
  PostgreSQL) and appends, for every key where they differ, the correction that makes
  the tallies what the deals give: changes committed after the snapshot have appended
  their own differences already, or will. It returns the rows it repaired, so the nightly
  run reports any drift. ``drift`` compares without writing, for the tests.

A deal adds one to its stage's open row while open, and to its stage's row of the UTC day
it closed once won or lost (``counted`` says so in Python, the triggers in SQL). A closed
deal without a close time is on no board.

On SQLite (the demo's zero-configuration database) no tallies are kept (``kept()`` is
false): the board counts its few thousand deals themselves, and the functions here
find nothing to do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from pipeline.models import ClosedColumnTally, OpenColumnTally, Opportunity, OpportunityStatus
from pipeline.models.tallies import ColumnTally

OpenKey = tuple[int, int, str]  # stage, owner, currency
ClosedKey = tuple[int, dt.date, int, str]  # stage, day closed (UTC), owner, currency
OPEN_KEY = ("stage_id", "owner_id", "currency")
CLOSED_KEY = ("stage_id", "closed_on", "owner_id", "currency")
# Rows per statement: well within both databases' limits on parameters.
BATCH = 2_000


def kept() -> bool:
    """Whether the database keeps the tallies (PostgreSQL, whose triggers do)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Sums:
    deals: int
    value: Decimal

    def minus(self, other: Sums) -> Sums:
        return Sums(self.deals - other.deals, self.value - other.value)

    @property
    def is_zero(self) -> bool:
        return self.deals == 0 and self.value == 0


NOTHING = Sums(0, Decimal("0"))
CENT = Decimal("0.01")


@dataclass
class Tallies:
    """Figures per key; a key adding up to nothing is left out."""

    open: dict[OpenKey, Sums] = field(default_factory=dict)
    closed: dict[ClosedKey, Sums] = field(default_factory=dict)


def _tables() -> tuple[tuple[type[ColumnTally], tuple[str, ...]], ...]:
    return ((OpenColumnTally, OPEN_KEY), (ClosedColumnTally, CLOSED_KEY))


def _sums_by_key(rows: Any) -> dict[Any, Sums]:
    found = {}
    for *key, deals, value in rows:
        # SQLite's sums of decimals come back without their scale.
        sums = Sums(deals, Decimal(value).quantize(CENT))
        if not sums.is_zero:
            found[tuple(key)] = sums
    return found


def counted() -> Tallies:
    """Every deal counted again, in two aggregates."""
    open_rows = (
        Opportunity.objects.filter(status=OpportunityStatus.OPEN)
        .values_list(*OPEN_KEY)
        .annotate(deals=Count("pk"), total=Sum("value"))
        .order_by()
    )
    closed_rows = (
        Opportunity.objects.exclude(status=OpportunityStatus.OPEN)
        .filter(closed_at__isnull=False)
        .annotate(closed_on=TruncDate("closed_at", tzinfo=dt.UTC))
        .values_list(*CLOSED_KEY)
        .annotate(deals=Count("pk"), total=Sum("value"))
        .order_by()
    )
    return Tallies(_sums_by_key(open_rows.iterator()), _sums_by_key(closed_rows.iterator()))


def stored() -> Tallies:
    """What the tally rows add up to, per key."""
    open_rows, closed_rows = (
        model.objects.values_list(*key)
        .annotate(total_deals=Sum("deals"), total_value=Sum("value"))
        .order_by()
        .iterator()
        for model, key in _tables()
    )
    return Tallies(_sums_by_key(open_rows), _sums_by_key(closed_rows))


@dataclass(frozen=True)
class Drift:
    """A key whose tally rows differ from a recount: what they add up to, and what the
    deals give (None: nothing)."""

    table: str
    key: tuple[Any, ...]
    stored: Sums | None
    counted: Sums | None


def _compare(found: Tallies, expected: Tallies) -> list[Drift]:
    differing = []
    pairs: tuple[tuple[dict[Any, Sums], dict[Any, Sums]], ...] = (
        (found.open, expected.open),
        (found.closed, expected.closed),
    )
    for (model, _key), (stored_rows, counted_rows) in zip(_tables(), pairs, strict=True):
        for key in sorted(stored_rows.keys() | counted_rows.keys()):
            found_sums, expected_sums = stored_rows.get(key), counted_rows.get(key)
            if found_sums != expected_sums:
                differing.append(Drift(model._meta.db_table, key, found_sums, expected_sums))
    return differing


def drift() -> list[Drift]:
    """The keys whose tallies differ from a recount of the deals (none, when kept exact)."""
    if not kept():
        return []
    with _one_snapshot():
        return _compare(stored(), counted())


def recount() -> list[Drift]:
    """Count every deal again and append the corrections the tallies need; the keys that
    needed one. Then fold the rows (``compact``)."""
    if not kept():
        return []
    with _one_snapshot():
        differing = _compare(stored(), counted())
        for model, key_names in _tables():
            corrections = []
            for row in differing:
                if row.table != model._meta.db_table:
                    continue
                change = (row.counted or NOTHING).minus(row.stored or NOTHING)
                key = dict(zip(key_names, row.key, strict=True))
                corrections.append(model(**key, deals=change.deals, value=change.value))
            model.objects.bulk_create(corrections, batch_size=BATCH)
    compact()
    return differing


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """A transaction whose reads all see the same committed state: REPEATABLE READ when it
    is a transaction of its own (inside another, the caller's view is the one wanted)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@transaction.atomic
def compact() -> int:
    """Fold the rows of every key that has several into one (none when they add up to
    nothing); the rows removed."""
    if not kept():
        return 0
    removed = 0
    for model, key_names in _tables():
        crowded = (
            model.objects.values_list(*key_names)
            .annotate(rows=Count("pk"))
            .filter(rows__gt=1)
            .order_by()
        )
        keys = {tuple(key) for *key, _rows in crowded}
        if not keys:
            continue
        rows = model.objects.select_for_update(skip_locked=True).filter(
            stage_id__in={key[0] for key in keys}
        )
        folded: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal("0"), []])
        for pk, *key, deals, value in rows.values_list("pk", *key_names, "deals", "value"):
            if tuple(key) in keys:
                sums = folded[tuple(key)]
                sums[0] += deals
                sums[1] += value
                sums[2].append(pk)
        ids = [pk for _deals, _value, pks in folded.values() if len(pks) > 1 for pk in pks]
        for start in range(0, len(ids), BATCH):
            model.objects.filter(pk__in=ids[start : start + BATCH]).delete()
        model.objects.bulk_create(
            [
                model(**dict(zip(key_names, key, strict=True)), deals=deals, value=value)
                for key, (deals, value, pks) in folded.items()
                if len(pks) > 1 and not Sums(deals, value).is_zero
            ],
            batch_size=BATCH,
        )
        removed += len(ids)
    return removed
