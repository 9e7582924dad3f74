"""Card positions within a board column: sparse, and never shared by two open deals.

Cards sit POSITION_GAP apart, so a drop between two neighbours writes one row: the moved
card takes the midpoint. Only when two neighbours have no integer left between them are
cards respaced: the few dozen around the drop point, evenly between the cards beyond
them (``make_room``), and the whole column only when that span is too crowded as well.

Two rules keep a place from being given twice:

- A place is computed over the whole column, cards the mover cannot see included: a rep's
  board shows their team's cards, but the column holds everyone's.
- Whoever gives a card a place in a column (a move or reorder, a new deal, an import, the
  deals of a removed stage) first takes the column's lock (``lock_columns``) and holds it
  until its transaction commits, so two writers never both pick the same free place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.db.models import Max, Min, QuerySet

from pipeline.models import POSITION_GAP, Opportunity, OpportunityStatus, Stage

# The first key of the columns' advisory locks (PostgreSQL's two-key form), so that they
# never meet another lock of this database; the second key is the stage id.
COLUMN_LOCK_SPACE = 0x626F61  # "boa(rd)"
# PostgreSQL's SQLSTATE for a lock refused by NOWAIT.
LOCK_NOT_AVAILABLE = "55P03"


def lock_columns(stage_ids: Iterable[int]) -> None:
    """Hold the columns of ``stage_ids`` against other writers of positions until commit.

    A transaction-scoped advisory lock per column, taken in ascending stage order so that
    two writers locking several columns never wait on each other in a cycle. Not the stage
    row itself: moves into a stage hold that row KEY SHARE from their start, so that it
    cannot be removed under them, and upgrading that lock would queue behind a removal
    waiting for FOR UPDATE and deadlock with it. SQLite lets one writer in at a time anyway.

    Take it after the row of the card being placed is locked, never before, and wait for no
    other card's row while holding it: an import holds its deals' rows until it commits and
    asks for the columns last, so a writer that held a column while waiting for one of
    those rows would wait on the import in a cycle (see ``make_room``).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for stage_id in sorted(set(stage_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COLUMN_LOCK_SPACE, stage_id])


def position_between(before: int | None, after: int | None) -> int | None:
    """The position for a card dropped below ``before`` and above ``after``.

    None means there is no room: the column must be renumbered first.
    """
    if before is None:
        return POSITION_GAP if after is None else after - POSITION_GAP
    if after is None:
        return before + POSITION_GAP
    middle = (before + after) // 2
    return middle if before < middle < after else None


_TABLE = Opportunity._meta.db_table


def _column(stage: Stage, card_id: int | None = None) -> QuerySet[Opportunity]:
    """The column's open cards, all of them, but for ``card_id``: the card being placed."""
    column = Opportunity.objects.open().filter(stage=stage)
    return column.exclude(pk=card_id) if card_id is not None else column


def last_position(stage: Stage) -> int | None:
    """The position of the column's last open card; None for an empty column."""
    return _column(stage).aggregate(last=Max("position"))["last"]


def first_position(stage: Stage) -> int | None:
    """The position of the column's first open card; None for an empty column."""
    return _column(stage).aggregate(first=Min("position"))["first"]


@dataclass(frozen=True)
class Gap:
    """Where a card goes: after the card at ``above`` and before the one at ``below``.

    None for ``above`` is the top of the column, None for ``below`` its end.
    """

    above: int | None
    below: int | None

    @property
    def position(self) -> int | None:
        return position_between(self.above, self.below)


def gap_beside(
    stage: Stage, *, card_id: int, after_id: int | None, before_id: int | None
) -> Gap | None:
    """The gap the card means by its neighbours, in the column as it really is; one query.

    ``after_id`` is the card that will sit just above it, ``before_id`` the one just below.
    The column holds cards its mover may not see, and the mover's board may be stale, so the
    gap is the one next to the neighbour, whatever lies on its other side: just below
    ``after_id`` (the neighbour a drop aims at first), else just above ``before_id``. None
    when neither is an open card of this column: unknown neighbours are no neighbours.
    """
    wanted = [pk for pk in (after_id, before_id) if pk and pk != card_id]
    if not wanted:
        return None

    # In the board's order, (position, id). A card sharing the neighbour's place comes
    # first, else the next place: each an index range scan of the board index that stops
    # at its first row (one OR of the two would walk the column from its top). Written out:
    # the ORM took longer to compile these four subqueries than the database to run them.
    def in_column(alias: str) -> str:
        return (
            f"{_TABLE} AS {alias} WHERE {alias}.stage_id = %s AND {alias}.status = %s"
            f" AND {alias}.id <> %s"
        )

    def nearest(where: str, order: str) -> str:
        return f"(SELECT n.position FROM {in_column('n')} AND {where} ORDER BY {order} LIMIT 1)"

    preceding = (
        nearest("n.position = c.position AND n.id < c.id", "n.id DESC"),
        nearest("n.position < c.position", "n.position DESC, n.id DESC"),
    )
    following = (
        nearest("n.position = c.position AND n.id > c.id", "n.id"),
        nearest("n.position > c.position", "n.position, n.id"),
    )
    places = ", ".join(["%s"] * len(wanted))
    sql = (
        f"SELECT c.id, c.position, COALESCE({preceding[0]}, {preceding[1]}),"
        f" COALESCE({following[0]}, {following[1]})"
        f" FROM {in_column('c')} AND c.id IN ({places})"
    )
    column_params: list[int | str] = [stage.pk, OpportunityStatus.OPEN, card_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*column_params * 5, *wanted])
        rows = cursor.fetchall()
    found = {pk: (position, preceding, following) for pk, position, preceding, following in rows}
    if after_id in found:
        position, _, following = found[after_id]
        return Gap(above=position, below=following)
    if before_id in found:
        position, preceding, _ = found[before_id]
        return Gap(above=preceding, below=position)
    return None


# Cards respaced on each side of a full gap at first; the window grows fourfold while the
# span around it is too crowded to give each card this much room.
WINDOW = 32
MIN_SPACING = POSITION_GAP // 64


def make_room(stage: Stage, gap: Gap, card_id: int) -> bool:
    """Respace the cards around the full ``gap`` so that it has room; whether done.

    Takes the ``WINDOW`` cards above the gap and below it and spreads them evenly between
    the cards just beyond them, keeping their order (two cards sharing a place, as columns
    could hold before places were serialised, get a place each). Where that span is too
    crowded the window grows; a window reaching the column's top or end spaces its cards
    POSITION_GAP apart from there. So a drop into a full gap writes a few dozen rows, not
    the whole column.

    The caller holds the column's lock (``lock_columns``), so that no other writer places a
    card meanwhile. The cards' rows are locked first, without waiting: a row another
    writer holds (a card being moved out of the column or reordered in it, an edit, an
    import) may belong to one that waits for this column's lock in turn, since writers
    lock their deal's row before the column. Rather than wait in that cycle, nothing is
    moved and False returned. Respacing moves no card between stages, so versions are left
    alone.
    """
    # A gap open at the column's top or end always has room.
    assert gap.above is not None
    assert gap.below is not None
    column = _column(stage, card_id)
    window = WINDOW
    while True:
        lower = _beyond(column.filter(position__lt=gap.above).order_by("-position", "-pk"), window)
        upper = _beyond(column.filter(position__gt=gap.below).order_by("position", "pk"), window)
        between = column
        if lower is not None:
            between = between.filter(position__gt=lower)
        if upper is not None:
            between = between.filter(position__lt=upper)
        count = between.count()
        if lower is None or upper is None:
            break
        spacing = (upper - lower) // (count + 1)
        if spacing >= MIN_SPACING:
            break
        window *= 4
    try:
        # A savepoint: a refused lock leaves the caller's transaction usable.
        with transaction.atomic():
            cards = list(
                between.order_by("position", "pk")
                .select_for_update(nowait=True, no_key=True)
                .only("pk", "position")
            )
            for card, place in zip(cards, _places(lower, upper, len(cards)), strict=True):
                card.position = place
            Opportunity.objects.bulk_update(cards, ["position"], batch_size=1_000)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return False
    return True


def _places(lower: int | None, upper: int | None, count: int) -> list[int]:
    """``count`` places in order strictly between ``lower`` and ``upper`` (None: open)."""
    if lower is not None and upper is not None:
        spacing = (upper - lower) // (count + 1)
        return [lower + (rank + 1) * spacing for rank in range(count)]
    if upper is not None:
        return [upper - (count - rank) * POSITION_GAP for rank in range(count)]
    start = lower if lower is not None else 0
    return [start + (rank + 1) * POSITION_GAP for rank in range(count)]


def _beyond(cards: QuerySet[Opportunity], window: int) -> int | None:
    """The place of the card ``window`` cards along ``cards`` (the respacing's bound);
    None when the column ends sooner."""
    return cards.values_list("position", flat=True)[window : window + 1].first()
