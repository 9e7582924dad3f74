"""Reads behind the board: columns, cards and filters.

Every read starts from ``visible_to(user)``. Query counts do not grow with the number of
deals: one read of the column tallies for all column headers (a few rows per stage, owner
and currency; the deals themselves on SQLite, or when a filter the tallies do not hold is
set), one query for the first cards of every column (a top-N-per-column union of index
scans), one keyset query per "Load more". What changed since a board was drawn is read by
``pipeline.board_changes``.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from accounts.visibility import visible_users
from contacts.models import Company
from pipeline import column_tallies
from pipeline.criteria import missing_entry_criteria
from pipeline.models import (
    ClosedColumnTally,
    DealContact,
    EntryField,
    LineItem,
    OpenColumnTally,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Product,
    Stage,
    StageKind,
    Task,
    board_order,
)
from pipeline.querysets import OpportunityQuerySet

# A column shows this many cards, and "Load more" fetches this many again; its header
# totals still count every matching deal in the stage. As many as a tall screen shows of
# a column (about ten on 1440 pixels), and no more: the rest of a first paint would be
# drawn, sent and laid out unseen, and the cards are most of a board's weight.
CARDS_PER_COLUMN = 12
# Won and lost columns show recent outcomes only: years of closed deals are history, not
# work, and would make those two columns the slowest part of the board.
CLOSED_COLUMN_DAYS = 30

CENT = Decimal("0.01")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


# --- Filters -------------------------------------------------------------------------------

# Matching deals (or companies) a text search filters the columns by as a list of ids.
TEXT_MATCH_IDS = 2_000


def _ids_if_few(rows: QuerySet) -> list[int] | None:
    """The primary keys of ``rows``, or None when there are more than ``TEXT_MATCH_IDS``."""
    ids = list(rows.order_by().values_list("pk", flat=True)[: TEXT_MATCH_IDS + 1])
    return ids if len(ids) <= TEXT_MATCH_IDS else None


@dataclass(frozen=True)
class BoardFilters:
    """What the board is narrowed to; kept in the URL so a filtered board can be shared.

    ``owner`` is "me" (whoever looks at the link) or a user id.
    """

    owner: int | Literal["me"] | None = None
    team_id: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    text: str = ""
    product_id: int | None = None

    def apply(self, deals: OpportunityQuerySet, user: User) -> OpportunityQuerySet:
        deals = self.apply_to_owners(deals, user)
        if self.close_from is not None:
            deals = deals.filter(expected_close_date__gte=self.close_from)
        if self.close_to is not None:
            deals = deals.filter(expected_close_date__lte=self.close_to)
        if self.text:
            deals = deals.filter(self.text_match)
        if self.product_id is not None:
            deals = deals.with_product(self.product_id)
        return deals

    @cached_property
    def text_match(self) -> Q:
        """Deals whose title or company's name contains the text, in any case.

        The matching deals and companies are looked up first, each one read of its
        trigram index, and the columns then filter by their ids: one index probe per
        column, where the text itself would be searched again for every column and for
        the headers. A text matching more than ``TEXT_MATCH_IDS`` of either is compared
        in each query instead (a long list of ids costs more than the search).

        Companies are not narrowed to those the user may see: a deal they may see matches
        by its company's name whoever owns the company, and only deals are shown."""
        titles = Q(title__icontains=self.text)
        names = Company.objects.filter(name__icontains=self.text)
        title_ids = _ids_if_few(Opportunity.objects.filter(titles))
        company_ids = _ids_if_few(names)
        by_title = titles if title_ids is None else Q(pk__in=title_ids)
        by_company = Q(company_id__in=names.values("pk") if company_ids is None else company_ids)
        return by_title | by_company

    @property
    def tallied(self) -> bool:
        """Whether the column tallies can answer the headers: they hold each deal's owner
        (and so its team), but not its close date, title, company or products."""
        return not (self.close_from or self.close_to or self.text or self.product_id)

    def apply_to_owners(self, rows: QuerySet, user: User) -> QuerySet:
        """The owner and team filters alone, on any rows with an ``owner``: the deals, and
        the column tallies."""
        if self.owner == "me":
            rows = rows.filter(owner_id=user.pk)
        elif self.owner is not None:
            rows = rows.filter(owner_id=self.owner)
        if self.team_id is not None:
            rows = rows.filter(owner__team_id=self.team_id)
        return rows

    def query_string(self) -> str:
        """The filters as URL parameters, without the leading "?" ("" when unfiltered)."""
        params = {
            "owner": self.owner,
            "team": self.team_id,
            "close_from": self.close_from.isoformat() if self.close_from else None,
            "close_to": self.close_to.isoformat() if self.close_to else None,
            "q": self.text,
            "product": self.product_id,
        }
        return urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})


def filter_products() -> list[Product]:
    """The product filter's choices: active products, and retired ones that were sold."""
    return list(
        Product.objects.filter(
            Q(is_active=True) | Exists(LineItem.objects.filter(product=OuterRef("pk")))
        )
        .order_by("name", "pk")
        .only("pk", "name", "code", "is_active")
    )


def filter_owners(user: User) -> list[User]:
    """Active users whose deals ``user`` can see: the owner filter's choices, in one query.

    Teams for the team filter come from the same rows.
    """
    users = visible_users(user).select_related("team")
    return list(users.order_by("first_name", "last_name", "username"))


# --- Columns -------------------------------------------------------------------------------


@dataclass
class ColumnTotal:
    """Sums of one currency within a column; amounts in different currencies never mix."""

    currency: str
    value: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: list[ColumnTotal] = field(default_factory=list)
    cards: list[Any] = field(default_factory=list)  # CardRow or a decorated Opportunity
    # Where "Load more" continues; None when every matching deal is shown.
    next_cursor: str | None = None

    @property
    def hidden_count(self) -> int:
        return max(self.count - len(self.cards), 0)


def board_stages(pipeline: Pipeline | int) -> list[Stage]:
    """The pipeline's stages in board order: open stages, then won, then lost."""
    return board_order(Stage.objects.in_use().filter(pipeline=pipeline))


def closed_since(now: dt.datetime) -> dt.datetime:
    """Where the won and lost columns begin: midnight UTC, ``CLOSED_COLUMN_DAYS`` back.

    Whole UTC days, as the column tallies count closed deals, so that a closed column's
    header and its cards count the same deals."""
    day = (now.astimezone(dt.UTC) - dt.timedelta(days=CLOSED_COLUMN_DAYS)).date()
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def matching_deals(user: User, filters: BoardFilters) -> OpportunityQuerySet:
    """Deals ``user`` may see that match the filters, in any pipeline and stage."""
    return filters.apply(Opportunity.objects.visible_to(user), user)


def board_deals(
    user: User, pipeline: Pipeline | int, filters: BoardFilters, now: dt.datetime
) -> OpportunityQuerySet:
    """Deals the board counts: visible, matching the filters, open or recently closed."""
    return (
        matching_deals(user, filters)
        .filter(pipeline=pipeline)
        .filter(Q(status=OpportunityStatus.OPEN) | Q(closed_at__gte=closed_since(now)))
    )


def with_card_fields(deals: OpportunityQuerySet) -> OpportunityQuerySet:
    """What a card shows, joined or annotated so that N cards cost one query.

    ``next_task_due`` is the earliest open task's due time; when it is in the past, some
    open task is overdue (the earliest is), so no second subquery is needed for the badge.
    """
    return with_deal_card_fields(deals).annotate(
        open_stages_balance=Subquery(_open_stages_balance())
    )


def with_deal_card_fields(deals: OpportunityQuerySet) -> OpportunityQuerySet:
    """``with_card_fields`` but for what depends on the deal's stage, which a move changes:
    the moved card counts it from the pipeline's stages instead (``moved_card``)."""
    next_task = (
        Task.objects.filter(opportunity=OuterRef("pk"), done_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return deals.select_related("company", "owner", "stage").annotate(
        next_task_due=Subquery(next_task),
        has_decision_maker=Exists(
            DealContact.objects.filter(opportunity=OuterRef("pk"), role__decides=True)
        ),
    )


# What a card shows and the board orders it by, and nothing more: a deal's row holds JSON
# and a dozen times the card never shows, each parsed for every card otherwise.
CARD_FIELDS = (
    "title",
    "value",
    "currency",
    "version",
    "status",
    "position",
    "pipeline",
    "closed_at",
    "lost_reason",
    "stage_entered_at",
    "last_touch_at",
    "created_at",
    "stale_since",
    "expected_close_date",
    "company",
    "company__name",
    "owner",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "stage",
    "stage__kind",
    "stage__rotting_days",
)


def card_rows(deals: OpportunityQuerySet) -> OpportunityQuerySet:
    """The board's cards: ``with_card_fields``, reading only the columns a card shows."""
    return with_card_fields(deals).only(*CARD_FIELDS)


def _open_stages_balance() -> Subquery:
    """Open stages of the deal's pipeline before its stage, less those after it.

    Positive when the deal's stage lies beyond the middle of the open stages (with four,
    the third and fourth; with five, the fourth and fifth): where a deal should know who
    decides. A few rows of the stage table per card, in the card query itself.
    """
    position = OuterRef("stage__position")
    return (
        Stage.objects.in_use()
        .filter(pipeline_id=OuterRef("pipeline_id"), kind=StageKind.OPEN)
        .order_by()
        .values("pipeline_id")
        .annotate(
            balance=Sum(
                Case(
                    When(position__lt=position, then=1),
                    When(position__gt=position, then=-1),
                    default=0,
                    output_field=IntegerField(),
                )
            )
        )
        .values("balance")
    )


def column_summaries(
    user: User,
    pipeline: Pipeline | int,
    filters: BoardFilters,
    now: dt.datetime,
    columns: dict[int, Column],
) -> dict[int, Column]:
    """Fill the columns' counts and totals in one query: from the column tallies, or from
    the matching deals themselves when a filter the tallies do not hold is set."""
    if filters.tallied and column_tallies.kept():
        sums = _tallied_sums(user, filters, list(columns), closed_since(now).date())
    else:
        sums = (
            board_deals(user, pipeline, filters, now)
            .filter(stage_id__in=list(columns))
            .values("stage_id", "currency")
            .annotate(count=Count("pk"), value=Sum("value"))
            .order_by()
        )
    totals: dict[tuple[int, str], list[Any]] = {}
    for row in sums:
        # The tallies answer a stage's open and its closed rows apart: add them up.
        found = totals.setdefault((row["stage_id"], row["currency"]), [0, Decimal("0.00")])
        found[0] += row["count"]
        found[1] += row["value"]
    for (stage_id, currency), (count, value) in sorted(totals.items()):
        column = columns[stage_id]
        column.count += count
        # All deals of a stage share its probability, so weighting the sum is exact.
        weighted = (value * column.stage.probability / 100).quantize(CENT)
        column.totals.append(ColumnTotal(currency, value.quantize(CENT), weighted))
    return columns


def _tallied_sums(
    user: User, filters: BoardFilters, stage_ids: list[int], since: dt.date
) -> QuerySet:
    """Per stage and currency, the deals and value of the tallies ``user`` may see: open
    deals, and deals closed on ``since`` or later; one UNION ALL of two index reads."""

    def summed(rows: QuerySet) -> QuerySet:
        rows = filters.apply_to_owners(rows.filter(stage_id__in=stage_ids), user)
        return (
            rows.values("stage_id", "currency")
            .annotate(count=Sum("deals"), value=Sum("value"))
            .order_by()
        )

    open_rows = summed(OpenColumnTally.objects.visible_to(user))
    closed_rows = summed(ClosedColumnTally.objects.visible_to(user).filter(closed_on__gte=since))
    return open_rows.union(closed_rows, all=True)


def column_deals(deals: OpportunityQuerySet, stage: Stage, now: dt.datetime) -> OpportunityQuerySet:
    """One column's cards in order: board position; the newest outcome first when closed.

    ``deals`` are ``matching_deals``: the stage implies the pipeline, and a plain
    ``status = 'open'`` (no OR with recent outcomes) lets the database walk the partial
    board index (stage, position, id) in order and stop after the cards it needs.
    """
    column = deals.filter(stage_id=stage.pk)
    if stage.kind == StageKind.OPEN:
        return column.filter(status=OpportunityStatus.OPEN).order_by("position", "pk")
    return column.filter(closed_at__gte=closed_since(now)).order_by("-closed_at", "-pk")


def sort_key(card: Opportunity) -> tuple[object, ...]:
    """A card's place in its column: by position, or the newest outcome first."""
    if card.stage.kind == StageKind.OPEN:
        return (card.position, card.pk)
    closed = card.closed_at or EPOCH
    return (-(closed - EPOCH).total_seconds(), -card.pk)


def first_cards(
    deals: OpportunityQuerySet,
    stages: Sequence[Stage],
    now: dt.datetime,
    limit: int = CARDS_PER_COLUMN,
) -> list[CardRow]:
    """The first ``limit`` cards of every column, in one query whatever the column sizes.

    Each column is its own ``ORDER BY ... LIMIT`` (an index range scan that stops after
    ``limit`` rows); the columns' ids are glued with UNION ALL and the cards fetched by id.
    A window function would rank every matching deal first, which grows with the column.
    Each part is wrapped in ``SELECT * FROM (...)`` because SQLite refuses LIMIT directly
    inside a compound select.
    """
    parts: list[str] = []
    params: list[object] = []
    for index, stage in enumerate(stages):
        ids = column_deals(deals, stage, now).values("pk")[:limit]
        sql, part_params = ids.query.get_compiler(using=ids.db).as_sql()
        parts.append(f"SELECT * FROM ({sql}) AS column_{index}")
        params.extend(part_params)
    if not parts:
        return []
    union = RawSQL(" UNION ALL ".join(parts), params)
    rows = with_card_fields(Opportunity.objects.filter(pk__in=union)).values(*CARD_VALUES)
    by_id = {stage.pk: stage for stage in stages}
    return sorted((CardRow(row, by_id[row["stage_id"]]) for row in rows), key=sort_key)


# What ``CardRow`` reads, by name: ``CARD_FIELDS`` as values (a relation's id, its own
# fields but the stage's, which the board has), and the card's annotations.
CARD_VALUES = (
    "pk",
    *(
        f"{name}_id" if name in ("pipeline", "company", "owner", "stage") else name
        for name in CARD_FIELDS
        if not name.startswith("stage__")
    ),
    "next_task_due",
    "has_decision_maker",
    "open_stages_balance",
)


class _Named:
    """What a card shows of a related record: its name, as ``str()`` and ``.name``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name


class CardRow:
    """A board card read as values, not as a model with its related models: a board
    draws a hundred and more at once, and building four model instances for each took
    longer than the query. It carries what ``decorate_card``, ``CardMarkup`` and the
    column's order read of a deal, under the model's names; the stage is the board's own.
    """

    def __init__(self, row: dict[str, Any], stage: Stage) -> None:
        self.__dict__.update(row)
        self.stage = stage
        self.company = _Named(row["company__name"] or "")
        full_name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        self.owner = _Named(full_name or row["owner__username"])


def build_columns(
    user: User,
    pipeline: Pipeline,
    stages: Iterable[Stage],
    filters: BoardFilters,
    now: dt.datetime,
) -> list[Column]:
    """Columns in board order with their headers and first cards, in two queries."""
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    column_summaries(user, pipeline, filters, now, columns)
    stages_shown = [column.stage for column in columns.values()]
    for card in first_cards(matching_deals(user, filters), stages_shown, now):
        column = columns.get(card.stage_id)
        if column is not None:
            column.cards.append(decorate_card(card, now))
    for column in columns.values():
        if column.hidden_count and column.cards:
            column.next_cursor = cursor_after(column.cards[-1])
    return list(columns.values())


def summarise_columns(
    user: User,
    pipeline: Pipeline | int,
    stages: Iterable[Stage],
    filters: BoardFilters,
    now: dt.datetime,
) -> list[Column]:
    """Header figures only (no cards) for the given stages: after a move, in one query."""
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    if not columns:
        return []
    return list(column_summaries(user, pipeline, filters, now, columns).values())


# --- Load more: keyset pagination ----------------------------------------------------------


def cursor_after(card: Opportunity) -> str:
    """An opaque "continue after this card" token: the card's sort key and id."""
    if card.stage.kind == StageKind.OPEN:
        return f"{card.position}_{card.pk}"
    closed = card.closed_at or EPOCH
    return f"{(closed - EPOCH) // MICROSECOND}_{card.pk}"


def _parse_cursor(cursor: str) -> tuple[int, int] | None:
    key, _, pk = cursor.partition("_")
    try:
        return int(key), int(pk)
    except ValueError:
        return None


def column_page(
    deals: OpportunityQuerySet,
    stage: Stage,
    cursor: str,
    now: dt.datetime,
    limit: int = CARDS_PER_COLUMN,
) -> tuple[list[Opportunity], str | None]:
    """The next ``limit`` cards of a column after ``cursor``, and the cursor after them.

    Keyset pagination: ``WHERE (position, id) > (p, i)`` walks the board index from the
    last card shown, so page 400 of a column costs what page 1 does. ``deals`` are
    ``matching_deals``.
    """
    column = column_deals(deals, stage, now)
    parsed = _parse_cursor(cursor)
    if parsed is not None:
        key, pk = parsed
        if stage.kind == StageKind.OPEN:
            column = column.filter(Q(position__gt=key) | Q(position=key, pk__gt=pk))
        else:
            closed = EPOCH + key * MICROSECOND
            column = column.filter(Q(closed_at__lt=closed) | Q(closed_at=closed, pk__lt=pk))
    cards = [decorate_card(card, now) for card in card_rows(column)[: limit + 1]]
    if len(cards) > limit:
        cards = cards[:limit]
        return cards, cursor_after(cards[-1])
    return cards, None


# --- Cards ---------------------------------------------------------------------------------


def decorate_card(card: Opportunity, now: dt.datetime) -> Opportunity:
    """Set what the card template shows beyond stored fields (days, badges).

    Stale is shown live as well as from the nightly ``stale_since``: more days in the stage
    than its ``rotting_days``, or no touchpoint (since the deal was created) for that long.
    """
    today = timezone.localdate(now)  # the user's own date: close dates are calendar days
    is_open = card.status == OpportunityStatus.OPEN
    card.days_in_stage = max((now - card.stage_entered_at).days, 0)
    last_activity = card.last_touch_at or card.created_at
    card.days_untouched = max((now - last_activity).days, 0)
    limit = card.stage.rotting_days
    card.is_rotting = bool(
        is_open and limit and (card.days_in_stage > limit or card.days_untouched > limit)
    )
    card.is_stale = is_open and (card.stale_since is not None or card.is_rotting)
    next_due = getattr(card, "next_task_due", None)
    card.has_overdue_task = next_due is not None and next_due < now
    card.is_past_close = bool(
        is_open and card.expected_close_date and card.expected_close_date < today
    )
    card.lacks_decision_maker = bool(
        is_open
        and card.stage.kind == StageKind.OPEN
        and (getattr(card, "open_stages_balance", None) or 0) > 0
        and not getattr(card, "has_decision_maker", True)
    )
    return card


def moved_card(deal: Opportunity, stages: Sequence[Stage], now: dt.datetime) -> Opportunity:
    """A deal read ``with_deal_card_fields`` before a move, as its card now stands.

    What the move changed is set on the deal; of what the read added, only the balance of
    open stages around the deal's stage depends on its stage: counted again here from the
    pipeline's stages, as ``_open_stages_balance`` counts it in the database."""
    stage = next((candidate for candidate in stages if candidate.pk == deal.stage_id), None)
    if stage is not None:
        deal.open_stages_balance = sum(
            (other.position < stage.position) - (other.position > stage.position)
            for other in stages
            if other.kind == StageKind.OPEN
        )
    return decorate_card(deal, now)


def board_card(user: User, pk: int, now: dt.datetime) -> Opportunity:
    """One card as the board shows it; Opportunity.DoesNotExist when not visible."""
    deals = Opportunity.objects.visible_to(user)
    return decorate_card(card_rows(deals).get(pk=pk), now)


# --- Moves: what a refused move needs to ask for -------------------------------------------


@dataclass(frozen=True)
class MoveRequirements:
    """What the move dialog asks for before a deal may enter ``stage``."""

    stage: Stage
    fields: list[str]
    checklist: list[str]
    missing: list[str]

    @property
    def needs_lost_reason(self) -> bool:
        return self.stage.kind == StageKind.LOST


def move_requirements(deal: Opportunity, stage: Stage) -> MoveRequirements:
    """The target stage's unmet requirements, as the move service judges them.

    ``missing`` are the service's own labels (criteria.py is the one source of truth);
    ``fields`` maps them back to the EntryField names the dialog has inputs for, and
    ``checklist`` is the stage's whole checklist, so ticks already made stay ticked.
    """
    missing = missing_entry_criteria(deal, stage)
    fields = [
        name
        for name in stage.entry_fields
        if name in EntryField.values and str(EntryField(name).label) in missing
    ]
    return MoveRequirements(
        stage=stage, fields=fields, checklist=list(stage.entry_checklist), missing=missing
    )
