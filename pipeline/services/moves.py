"""Moving a deal between stages and within a column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Contact
from pipeline.criteria import missing_entry_criteria
from pipeline.models import Opportunity, Stage, StageChange, StageKind
from pipeline.positions import (
    gap_beside,
    last_position,
    lock_columns,
    make_room,
    position_between,
)
from pipeline.querysets import OpportunityQuerySet
from pipeline.services.reporting import deals_changing, reports_follow
from pipeline.signals import opportunity_lost, opportunity_moved, opportunity_won
from pipeline.stage_entry import stage_entry_fields


class MoveConflict(Exception):
    """Someone else changed the deal first; ``current`` is the deal as it now stands."""

    def __init__(self, current: Opportunity) -> None:
        self.current = current
        who = current.updated_by or _("Someone else")
        super().__init__(
            _("%(who)s changed this deal first; it is now in %(stage)s.")
            % {"who": who, "stage": current.stage.name}
        )


class EntryCriteriaNotMet(Exception):
    """The deal lacks what the target stage requires; ``missing`` names each item."""

    def __init__(self, stage: Stage, missing: list[str]) -> None:
        self.stage = stage
        self.missing = missing
        super().__init__(
            _("%(stage)s needs: %(missing)s.")
            % {"stage": stage.name, "missing": ", ".join(missing)}
        )


@dataclass(frozen=True)
class DealFields:
    """Fields a user may fill in while moving, to meet the target stage's criteria."""

    value: Decimal | None = None
    expected_close_date: dt.date | None = None
    contact_id: int | None = None
    checklist_done: list[str] | None = None
    lost_reason: str = ""

    def apply_to(self, opportunity: Opportunity) -> dict[str, object]:
        """Set the given fields on the in-memory deal; return them as UPDATE arguments."""
        changes: dict[str, object] = {}
        if self.value is not None:
            if self.value < 0:
                raise ValidationError({"value": _("Value cannot be negative.")})
            changes["value"] = self.value
        if self.expected_close_date is not None:
            changes["expected_close_date"] = self.expected_close_date
        if self.contact_id is not None:
            changes["contact_id"] = self.contact_id
        if self.checklist_done is not None:
            changes["checklist_done"] = sorted(set(self.checklist_done))
        for name, new_value in changes.items():
            setattr(opportunity, name, new_value)
        return changes


@dataclass(frozen=True)
class MoveOutcome:
    opportunity: Opportunity
    stage_change: StageChange | None
    renumbered: bool = field(default=False)
    # The card is not next to the neighbours the move named: they had left the column (the
    # board that sent it is stale), or there was no room by them that could be made now.
    placed_elsewhere: bool = field(default=False)


def _check_contact(opportunity: Opportunity, contact_id: int, by: User) -> None:
    is_usable = (
        Contact.objects.visible_to(by)
        .filter(pk=contact_id, company_id=opportunity.company_id)
        .exists()
    )
    if not is_usable:
        raise ValidationError({"contact": _("Choose a contact of this deal's company.")})


@dataclass(frozen=True)
class _Placement:
    position: int | None  # None: the card keeps its place
    renumbered: bool = False
    # Not where the mover asked: its neighbours were not found (or no room could be made).
    elsewhere: bool = False


def _without_neighbours(opportunity: Opportunity, stage: Stage) -> _Placement:
    """Where a card goes with no neighbour: it keeps its place in its own column, or goes
    to the end of another."""
    if stage.pk == opportunity.stage_id:
        return _Placement(None)
    return _Placement(position_between(last_position(stage), None))


def _new_position(
    opportunity: Opportunity, stage: Stage, after_id: int | None, before_id: int | None
) -> _Placement:
    """Where the card goes between its new neighbours, renumbering the column if full.

    ``after_id`` is the card that will sit just above, ``before_id`` the one just below.
    Neighbours that are not open cards of the column (they left it meanwhile, or the board
    that sent them is stale) are no neighbours. So is a pair with no room left between them
    in a column whose cards cannot be respaced right now (see ``make_room``). The caller
    holds the column's lock.
    """
    named = bool({after_id, before_id} - {None, opportunity.pk})
    gap = gap_beside(stage, card_id=opportunity.pk, after_id=after_id, before_id=before_id)
    if gap is None:
        return replace(_without_neighbours(opportunity, stage), elsewhere=named)
    if gap.position is not None:
        return _Placement(gap.position)
    # No integer left between the neighbours: respace the cards around them; then there is.
    if not make_room(stage, gap, opportunity.pk):
        return replace(_without_neighbours(opportunity, stage), elsewhere=True)
    gap = gap_beside(stage, card_id=opportunity.pk, after_id=after_id, before_id=before_id)
    position = gap.position if gap is not None else None
    assert position is not None  # the same neighbours, now POSITION_GAP apart
    return _Placement(position, renumbered=True)


def _hold_target_stage(stage_id: int, pipeline_id: int) -> Stage:
    """The target stage, kept from being archived or deleted until this move commits.

    FOR KEY SHARE conflicts with the FOR UPDATE that removing a stage takes, so a removal
    waits for this move and then carries its deal along; it does not conflict with other
    moves into the same column, which wait for each other on the column's lock instead.
    Taken before the deal's row is locked: a removal locks the stage, then its deals.
    """
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    table = Stage._meta.db_table
    stages = Stage.objects.raw(
        f"SELECT * FROM {table} WHERE id = %s AND pipeline_id = %s AND archived_at IS NULL" + lock,
        [stage_id, pipeline_id],
    )
    for stage in stages:
        return stage
    raise ValidationError({"stage": _("Choose a stage of this deal's pipeline.")})


# How a caller wants the moved deal read: the board reads it as a card, with what a card
# shows beside it, so that its answer needs no second read.
DealRead = Callable[[OpportunityQuerySet], OpportunityQuerySet]


def _movable_opportunity(by: User, opportunity_id: int, read: DealRead | None) -> Opportunity:
    """The deal, if ``by`` may move it.

    Raises DoesNotExist if ``by`` cannot see it, PermissionDenied if they may only see it.
    """
    deals = Opportunity.objects.visible_to(by).select_related("stage")
    opportunity = (read(deals) if read is not None else deals).get(pk=opportunity_id)
    if opportunity.owner_id != by.pk and not (
        Opportunity.objects.editable_by(by).filter(pk=opportunity.pk).exists()
    ):
        raise PermissionDenied(_("You may not change this deal."))
    return opportunity


def _lock_deal(opportunity_id: int) -> int:
    """Lock the deal's row until commit; its version now.

    Before the column's lock, never after it (see ``lock_columns``). A query of its own:
    locking the row in the read above would, once a concurrent move commits, compare the
    moved row with the stage it has left and find no deal at all.
    """
    return (
        Opportunity.objects.select_for_update(no_key=True)
        .filter(pk=opportunity_id)
        .values_list("version", flat=True)
        .get()
    )


def _conflict(opportunity_id: int) -> MoveConflict:
    return MoveConflict(
        Opportunity.objects.select_related("stage", "updated_by").get(pk=opportunity_id)
    )


def _announce_move(opportunity: Opportunity, from_stage: Stage, to_stage: Stage, by: User) -> None:
    """Tell other apps (outgoing webhooks) about a change of stage once it has committed.

    Robustly: a failing receiver is logged and cannot fail a move that already happened.
    """

    def send() -> None:
        opportunity_moved.send_robust(
            sender=Opportunity,
            opportunity=opportunity,
            from_stage=from_stage,
            to_stage=to_stage,
            by=by,
        )
        if to_stage.kind == StageKind.WON:
            opportunity_won.send_robust(sender=Opportunity, opportunity=opportunity, by=by)
        elif to_stage.kind == StageKind.LOST:
            opportunity_lost.send_robust(sender=Opportunity, opportunity=opportunity, by=by)

    transaction.on_commit(send, robust=True)


@transaction.atomic
def move_opportunity(
    *,
    opportunity_id: int,
    by: User,
    to_stage_id: int,
    version: int,
    after_id: int | None = None,
    before_id: int | None = None,
    fields: DealFields | None = None,
    read: DealRead | None = None,
) -> MoveOutcome:
    """Move a deal to a stage and/or a place in its column: the board's and the API's move.

    One conditional UPDATE on ``version`` claims the deal; a StageChange row records a
    change of stage. Raises Opportunity.DoesNotExist when the deal is not visible to
    ``by`` (a 404), PermissionDenied when it is visible but not theirs to change (403),
    ValidationError for a bad stage or field (400), EntryCriteriaNotMet when the stage's
    requirements are unmet, and MoveConflict when ``version`` is no longer current (409).

    Locks, in this order and until commit: the target stage (KEY SHARE, against its
    removal), the deal's row, and the target column (against other writers of positions).

    The outcome's deal is the one read first (through ``read``, when given), with what the
    UPDATE wrote set on it: the row as it now stands, without reading it again.
    """
    fields = fields or DealFields()
    opportunity = _movable_opportunity(by, opportunity_id, read)
    stage = _hold_target_stage(to_stage_id, opportunity.pipeline_id)

    if fields.contact_id is not None:
        _check_contact(opportunity, fields.contact_id, by)
    changes = fields.apply_to(opportunity)
    stage_changes = stage.pk != opportunity.stage_id
    # Reports follow every change of stage (its history feeds the funnel and time in
    # stage) and a reported field the move sets; a move within a column changes nothing
    # they read.
    reported = stage_changes or reports_follow(changes)
    now = timezone.now()
    if stage_changes:
        missing = missing_entry_criteria(opportunity, stage)
        if missing:
            raise EntryCriteriaNotMet(stage, missing)
        changes.update(
            stage_entry_fields(opportunity, stage, at=now, lost_reason=fields.lost_reason)
        )
    if _lock_deal(opportunity.pk) != version:
        # Lost already: spare the column's lock and its positions.
        raise _conflict(opportunity.pk)

    lock_columns([stage.pk])
    placement = _new_position(opportunity, stage, after_id, before_id)
    if placement.position is not None:
        changes["position"] = placement.position

    stage_change = None
    with deals_changing([opportunity.pk] if reported else []):
        claimed = Opportunity.objects.filter(pk=opportunity.pk, version=version).update(
            **changes, version=F("version") + 1, updated_by=by, updated_at=now
        )
        if not claimed:
            raise _conflict(opportunity.pk)
        if stage_changes:
            # Inside: the history row is part of what reports read of the change.
            stage_change = StageChange.objects.create(
                opportunity=opportunity,
                from_stage_id=opportunity.stage_id,
                to_stage=stage,
                by=by,
                at=now,
            )
    if "contact_id" in changes:
        # Imported here: the buying team's services claim deals through this module's
        # MoveConflict. The deal's contact is its buying team's primary member.
        from pipeline.services.buying_team import follow_primary_contact

        follow_primary_contact(opportunity=opportunity, by=by, at=now)

    from_stage = opportunity.stage
    for name, value in changes.items():
        setattr(opportunity, name, value)
    opportunity.version = version + 1
    opportunity.updated_by = by
    opportunity.updated_at = now
    if stage_changes:
        _announce_move(opportunity, from_stage=from_stage, to_stage=stage, by=by)
    return MoveOutcome(
        opportunity=opportunity,
        stage_change=stage_change,
        renumbered=placement.renumbered,
        placed_elsewhere=placement.elsewhere,
    )
