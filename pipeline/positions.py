"""Sparse card positions within a board column.

Cards sit POSITION_GAP apart, so a drop between two neighbours writes one row: the moved
card takes the midpoint. Only when two neighbours have no integer left between them is the
column renumbered, once, in one UPDATE.
"""

from __future__ import annotations

from django.db import connection

from pipeline.models import POSITION_GAP, Opportunity, Stage


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


def column_positions(stage: Stage, ids: list[int]) -> dict[int, int]:
    """Current positions of the given open cards, if they are still in this column."""
    rows = Opportunity.objects.open().filter(stage=stage, pk__in=ids).values_list("pk", "position")
    return dict(rows)


def last_position(stage: Stage) -> int | None:
    return (
        Opportunity.objects.open()
        .filter(stage=stage)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )


def renumber_column(stage: Stage) -> None:
    """Spread the column's open cards POSITION_GAP apart, keeping their order.

    The caller holds the stage row locked so that two renumberings of one column never
    interleave. Renumbering moves no card between stages, so versions are left alone.
    """
    table = Opportunity._meta.db_table
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
