"""What changed on a board since it was drawn: versions of the change sequence, and the
deals written since one (``pipeline.models.board_changes`` says how rows are written).

A version reads ``<issued>~<mark>``: the Unix time it was issued, so that a board left
open past what the sequence keeps is redrawn whole, and the mark: a PostgreSQL snapshot
(``pg_current_snapshot()``, e.g. ``1204:1209:1205,1207``) or, on SQLite, the last row id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Max, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from pipeline.board import (
    BoardFilters,
    board_deals,
    card_rows,
    column_deals,
    decorate_card,
    matching_deals,
    sort_key,
)
from pipeline.models import BoardChange, Opportunity, Stage, StageKind
from pipeline.models.board_changes import HONOURED
from pipeline.querysets import OpportunityQuerySet

# More changes than this since a board's version (an import, a bulk reassignment): one
# redraw costs less than patching that many cards.
MOST_CHANGES = 100

_SNAPSHOT = re.compile(r"\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?")
_LAST_ID = re.compile(r"\d{1,20}")
_TRANSACTION = f'"{BoardChange._meta.db_table}"."transaction"'
_ID = f'"{BoardChange._meta.db_table}"."id"'


@dataclass(frozen=True)
class BoardVersion:
    issued: int
    mark: str

    def __str__(self) -> str:
        return f"{self.issued}~{self.mark}"

    @classmethod
    def parse(cls, token: str) -> BoardVersion | None:
        """The version a board sent back, or None for one this database did not issue."""
        issued, _, mark = token.partition("~")
        pattern = _SNAPSHOT if connection.vendor == "postgresql" else _LAST_ID
        if not issued.isdigit() or len(issued) > 12 or not pattern.fullmatch(mark):
            return None
        return cls(int(issued), mark)

    def is_honoured(self, now: dt.datetime) -> bool:
        return now.timestamp() - self.issued < HONOURED.total_seconds()


def _issued(mark: str) -> BoardVersion:
    return BoardVersion(int(timezone.now().timestamp()), mark)


def current_version() -> BoardVersion:
    """The sequence as it stands: read it before the cards, so that a write the cards
    miss is written after it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_snapshot()::text")
            return _issued(cursor.fetchone()[0])
    last = BoardChange.objects.aggregate(last=Max("pk"))["last"]
    return _issued(str(last or 0))


@dataclass
class BoardChanges:
    """Deals written since a version that ``user`` could see before or after the write."""

    version: BoardVersion
    deal_ids: list[int] = field(default_factory=list)
    stage_ids: set[int] = field(default_factory=set)


class TooManyChanges(Exception):
    """More was written since the board's version than is worth patching: redraw it."""


def changes_since(user: User, pipeline_id: int, since: BoardVersion) -> BoardChanges | None:
    """The pipeline's changes after ``since``, with the version that follows them: one query.

    None when nothing was written since; ``deal_ids`` is empty when only deals ``user``
    cannot see were, and the new version then spares the next poll those rows. Raises
    ``TooManyChanges`` past ``MOST_CHANGES`` rows.
    """
    rows = BoardChange.objects.of_pipeline(pipeline_id)
    visible = BoardChange.objects.visibility_q(user)
    seen = Value(True) if visible is None else ExpressionWrapper(visible, BooleanField())
    if connection.vendor == "postgresql":
        # Not committed in the board's snapshot: later than it, or in flight when it was
        # taken. The statement's own snapshot, read in the same statement, is the version
        # that follows: the rows it does not show are the next poll's.
        rows = (
            rows.filter(
                transaction__gte=RawSQL(
                    "pg_snapshot_xmin(%s::pg_snapshot)::text::bigint", [since.mark]
                )
            )
            .alias(
                committed_then=RawSQL(
                    f"pg_visible_in_snapshot({_TRANSACTION}::text::xid8, %s::pg_snapshot)",
                    [since.mark],
                    output_field=BooleanField(),
                )
            )
            .filter(committed_then=False)
        )
        mark = RawSQL("pg_current_snapshot()::text", [])
    else:
        rows = rows.filter(pk__gt=int(since.mark))
        mark = RawSQL(f"MAX({_ID}) OVER ()", [])
    found = list(
        rows.annotate(seen=seen, mark=mark)
        .order_by("pk")
        .values_list("opportunity_id", "stage_id", "former_stage_id", "seen", "mark")[
            : MOST_CHANGES + 1
        ]
    )
    if not found:
        return None
    if len(found) > MOST_CHANGES:
        raise TooManyChanges
    changes = BoardChanges(version=_issued(str(found[0][4])))
    for deal_id, stage_id, former_stage_id, seen_by_user, _ in found:
        if not seen_by_user:
            continue
        if deal_id not in changes.deal_ids:
            changes.deal_ids.append(deal_id)
        changes.stage_ids.update(pk for pk in (stage_id, former_stage_id) if pk is not None)
    return changes


@dataclass(frozen=True)
class ChangedCard:
    """A changed deal as one board shows it: its card and the card just above it in its
    column (None: first), or no card when the deal has left this board."""

    deal_id: int
    card: Opportunity | None = None
    after_id: int | None = None


def changed_cards(
    user: User,
    pipeline_id: int,
    stages: Sequence[Stage],
    filters: BoardFilters,
    deal_ids: list[int],
    now: dt.datetime,
) -> list[ChangedCard]:
    """The board's view of the changed deals: two queries, the cards and their neighbours.

    A deal the board no longer shows (deleted, out of ``user``'s sight, filtered out,
    moved to another pipeline or closed before the outcome columns' days) is a card
    gone. The cards come in board order, so that a card's neighbour is placed first.
    """
    shown = {stage.pk: stage for stage in stages}
    deals = board_deals(user, pipeline_id, filters, now).filter(
        pk__in=deal_ids, stage_id__in=list(shown)
    )
    cards = sorted(
        (decorate_card(card, now) for card in card_rows(deals)),
        key=lambda card: (list(shown).index(card.stage_id), sort_key(card)),
    )
    above = _cards_above(matching_deals(user, filters), cards, shown, now)
    found = [ChangedCard(card.pk, card, above.get(card.pk)) for card in cards]
    gone = [ChangedCard(pk) for pk in deal_ids if pk not in {card.pk for card in cards}]
    return gone + found


def _cards_above(
    deals: OpportunityQuerySet,
    cards: list[Opportunity],
    stages: dict[int, Stage],
    now: dt.datetime,
) -> dict[int, int]:
    """For each card, the id of the card just above it in its column: one UNION ALL of
    index probes, each one step back along the column's order from the card."""
    parts: list[str] = []
    params: list[Any] = []
    for index, card in enumerate(cards):
        column = column_deals(deals, stages[card.stage_id], now)
        if stages[card.stage_id].kind == StageKind.OPEN:
            before = Q(position__lt=card.position) | Q(position=card.position, pk__lt=card.pk)
            ordering = ("-position", "-pk")
        else:
            before = Q(closed_at__gt=card.closed_at) | Q(closed_at=card.closed_at, pk__gt=card.pk)
            ordering = ("closed_at", "pk")
        above = (
            column.filter(before)
            .order_by(*ordering)
            .annotate(card_id=Value(card.pk))
            .values("card_id", "pk")[:1]
        )
        sql, part_params = above.query.get_compiler(using=above.db).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS card_{index}")
        params.extend(part_params)
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        names = [column[0] for column in cursor.description]
        card_at, above_at = names.index("card_id"), names.index("pk")
        return {row[card_at]: row[above_at] for row in cursor.fetchall()}


__all__ = [
    "BoardChanges",
    "BoardVersion",
    "ChangedCard",
    "TooManyChanges",
    "changed_cards",
    "changes_since",
    "current_version",
]
