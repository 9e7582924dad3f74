"""Card positions within a board column: sparse, and never shared by two open deals.

Cards sit POSITION_GAP apart, so a drop between two neighbours writes one row: the moved
card takes the midpoint. Only when two neighbours have no integer left between them is the
column renumbered, once, in one UPDATE.

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
from django.db.models import Max, Min, OuterRef, Q, QuerySet, Subquery

from pipeline.models import POSITION_GAP, Opportunity, Stage

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
    those rows would wait on the import in a cycle (see ``renumber_column``).
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
    column = _column(stage, card_id)
    # In the board's order, (position, id): the index on open cards serves both.
    same_place = Q(position=OuterRef("position"))
    following = column.filter(
        Q(position__gt=OuterRef("position")) | (same_place & Q(pk__gt=OuterRef("pk")))
    ).order_by("position", "pk")
    preceding = column.filter(
        Q(position__lt=OuterRef("position")) | (same_place & Q(pk__lt=OuterRef("pk")))
    ).order_by("-position", "-pk")
    rows = (
        column.filter(pk__in=wanted)
        .annotate(
            following=Subquery(following.values("position")[:1]),
            preceding=Subquery(preceding.values("position")[:1]),
        )
        .values_list("pk", "position", "preceding", "following")
    )
    found = {pk: (position, preceding, following) for pk, position, preceding, following in rows}
    if after_id in found:
        position, _, following = found[after_id]
        return Gap(above=position, below=following)
    if before_id in found:
        position, preceding, _ = found[before_id]
        return Gap(above=preceding, below=position)
    return None


def renumber_column(stage: Stage) -> bool:
    """Spread the column's open cards POSITION_GAP apart, keeping their order; whether done.

    The caller holds the column's lock (``lock_columns``), so that no other writer places a
    card meanwhile. The cards' rows are locked first, without waiting: a row another
    writer holds (a card being moved out of the column or reordered in it, an edit, an
    import) may belong to one that waits for this column's lock in turn, since writers
    lock their deal's row before the column. Rather than wait in that cycle, nothing is
    renumbered and False returned. Renumbering moves no card between stages, so versions
    are left alone.
    """
    table = Opportunity._meta.db_table
    try:
        # A savepoint: a refused lock leaves the caller's transaction usable.
        with transaction.atomic():
            cards = Opportunity.objects.open().filter(stage=stage)
            list(cards.select_for_update(nowait=True, no_key=True).values_list("pk", flat=True))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    UPDATE {table} SET position = ranked.rank * %s
                    FROM (
                        SELECT id, ROW_NUMBER() OVER (ORDER BY position, id) AS rank
                        FROM {table} WHERE stage_id = %s AND status = 'open'
                    ) AS ranked
                    WHERE {table}.id = ranked.id
                    """,
                    [POSITION_GAP, stage.pk],
                )
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return False
    return True
