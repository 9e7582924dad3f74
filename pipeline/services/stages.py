"""Pipelines and their stages as admins configure them: add, rename, reorder, remove.

Rules every function here keeps:

- A pipeline always has at least one won and one lost stage (the board's drop targets),
  so a new pipeline is created with both and the last of either kind cannot be removed.
- Open stages come first, then the closing (won and lost) stages; positions are 1..n in
  that order. Archived stages keep their old position and take no part in the order.
- A won stage is 100 % and a lost stage 0 % (also a database constraint); closing stages
  never go stale, and a lost stage takes any deal, so it has no entry criteria.
- A stage's kind is fixed once created: changing it would leave its deals with a status
  that contradicts their stage. Add a stage of the other kind and move the deals instead.
- Removing a stage that holds deals moves them to another stage of the same pipeline and
  the same kind, so their status, close date and lost reason stay true. The stage is then
  deleted if nothing refers to it, and archived otherwise: its stage history and nightly
  snapshots stay as they happened.

Every function that changes the order or the set of stages locks the pipeline row first,
so two admins editing one pipeline at once are serialised rather than interleaved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ForeignObjectRel, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pipeline import signals
from pipeline.models import (
    POSITION_GAP,
    EntryField,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    board_order,
)
from pipeline.positions import lock_columns
from pipeline.services.reporting import deals_changing

if TYPE_CHECKING:
    from accounts.models import User

NAME_MAX_LENGTH = 100
MAX_ROTTING_DAYS = 3650
MAX_CHECKLIST_ITEMS = 20
CHECKLIST_ITEM_MAX_LENGTH = 100
CLOSED_PROBABILITY = {StageKind.WON: 100, StageKind.LOST: 0}


@dataclass(frozen=True)
class StageRemoval:
    """What ``delete_stage`` did: how many deals it moved, and whether it archived."""

    stage: Stage
    moved: int
    archived: bool
    target: Stage | None = None


# --- validation -------------------------------------------------------------------------------


def _clean_name(name: str, errors: dict[str, list[str]]) -> str:
    name = " ".join(name.split())
    if not name:
        errors.setdefault("name", []).append(_("Enter a name."))
    elif len(name) > NAME_MAX_LENGTH:
        errors.setdefault("name", []).append(
            _("Use at most %(limit)d characters.") % {"limit": NAME_MAX_LENGTH}
        )
    return name


def _check_probability(kind: str, probability: int, errors: dict[str, list[str]]) -> None:
    if not 0 <= probability <= 100:
        errors.setdefault("probability", []).append(_("Win probability must be between 0 and 100."))
    elif kind == StageKind.WON and probability != 100:
        errors.setdefault("probability", []).append(_("A won stage is always 100 %."))
    elif kind == StageKind.LOST and probability != 0:
        errors.setdefault("probability", []).append(_("A lost stage is always 0 %."))


def _check_rotting_days(kind: str, rotting_days: int | None, errors: dict[str, list[str]]) -> None:
    if rotting_days is None:
        return
    if kind != StageKind.OPEN:
        errors.setdefault("rotting_days", []).append(
            _("Won and lost deals never go stale; leave this empty.")
        )
    elif not 1 <= rotting_days <= MAX_ROTTING_DAYS:
        errors.setdefault("rotting_days", []).append(
            _("Enter a number of days from 1 to %(limit)d, or leave it empty.")
            % {"limit": MAX_ROTTING_DAYS}
        )


def _clean_entry_fields(
    kind: str, entry_fields: Sequence[str], errors: dict[str, list[str]]
) -> list[str]:
    cleaned = list(dict.fromkeys(entry_fields))
    unknown = [name for name in cleaned if name not in EntryField.values]
    if unknown:
        errors.setdefault("entry_fields", []).append(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)}
        )
    elif cleaned and kind == StageKind.LOST:
        errors.setdefault("entry_fields", []).append(
            _("A lost stage takes every deal; it cannot require fields.")
        )
    return cleaned


def _clean_checklist(
    kind: str, entry_checklist: Sequence[str], errors: dict[str, list[str]]
) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(item.split()) for item in entry_checklist))
    cleaned = [item for item in cleaned if item]
    if cleaned and kind == StageKind.LOST:
        errors.setdefault("entry_checklist", []).append(
            _("A lost stage takes every deal; it cannot have a checklist.")
        )
    elif len(cleaned) > MAX_CHECKLIST_ITEMS:
        errors.setdefault("entry_checklist", []).append(
            _("Use at most %(limit)d checklist items.") % {"limit": MAX_CHECKLIST_ITEMS}
        )
    else:
        too_long = [item for item in cleaned if len(item) > CHECKLIST_ITEM_MAX_LENGTH]
        if too_long:
            errors.setdefault("entry_checklist", []).append(
                _("Checklist items have at most %(limit)d characters: %(item)s")
                % {"limit": CHECKLIST_ITEM_MAX_LENGTH, "item": too_long[0]}
            )
    return cleaned


@dataclass(frozen=True)
class _StageSettings:
    name: str
    probability: int
    rotting_days: int | None
    entry_fields: list[str]
    entry_checklist: list[str]


def _validated_settings(
    *,
    kind: str,
    name: str,
    probability: int,
    rotting_days: int | None,
    entry_fields: Sequence[str],
    entry_checklist: Sequence[str],
) -> _StageSettings:
    """The settings cleaned up, or one ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    if kind not in StageKind.values:
        errors["kind"] = [_("Choose open, won or lost.")]
    settings = _StageSettings(
        name=_clean_name(name, errors),
        probability=probability,
        rotting_days=rotting_days,
        entry_fields=_clean_entry_fields(kind, entry_fields, errors),
        entry_checklist=_clean_checklist(kind, entry_checklist, errors),
    )
    _check_probability(kind, probability, errors)
    _check_rotting_days(kind, rotting_days, errors)
    if errors:
        raise ValidationError(errors)
    return settings


# --- writes with a unique name ----------------------------------------------------------------


def _save_stage(stage: Stage, update_fields: list[str] | None = None) -> None:
    """Save, turning a clash on the pipeline's unique stage names into a field error.

    The unique constraint decides, not a prior lookup: two admins adding the same name at
    once get one stage and one clear message. Only stages in use hold their names: a new
    stage may take the name of an archived one (history still tells them apart by id).
    """
    try:
        with transaction.atomic():
            stage.save(update_fields=update_fields)
    except IntegrityError:
        clash = (
            Stage.objects.in_use()
            .filter(pipeline_id=stage.pipeline_id, name=stage.name)
            .exclude(pk=stage.pk)
            .exists()
        )
        if not clash:
            raise
        message = _("This pipeline already has a stage called %(name)s.")
        raise ValidationError({"name": message % {"name": stage.name}}) from None


def _save_pipeline(pipeline: Pipeline, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            pipeline.save(update_fields=update_fields)
    except IntegrityError:
        if not Pipeline.objects.filter(name=pipeline.name).exclude(pk=pipeline.pk).exists():
            raise
        raise ValidationError(
            {"name": _("A pipeline called %(name)s already exists.") % {"name": pipeline.name}}
        ) from None


def _lock_pipeline(pipeline_id: int) -> Pipeline:
    # NO KEY UPDATE: serialises settings changes of this pipeline without blocking deals,
    # whose foreign keys to it take KEY SHARE locks (when checked, at commit).
    return Pipeline.objects.select_for_update(no_key=True).get(pk=pipeline_id)


def _renumber(ordered: list[Stage]) -> None:
    """Give the stages positions 1..n in the given order, in one UPDATE."""
    changed = []
    for position, stage in enumerate(ordered, start=1):
        if stage.position != position:
            stage.position = position
            changed.append(stage)
    if changed:
        Stage.objects.bulk_update(changed, ["position"])


# --- pipelines --------------------------------------------------------------------------------


@transaction.atomic
def create_pipeline(*, name: str) -> Pipeline:
    """A new, inactive pipeline with one won and one lost stage, listed after the others.

    It starts inactive so that reps do not see a board without open stages; the admin adds
    the open stages and then activates it (``set_pipeline_active``).
    """
    errors: dict[str, list[str]] = {}
    name = _clean_name(name, errors)
    if errors:
        raise ValidationError(errors)
    last = Pipeline.objects.aggregate(last=Max("position"))["last"] or 0
    pipeline = Pipeline(name=name, position=last + 1, is_active=False)
    _save_pipeline(pipeline)
    Stage.objects.bulk_create(
        [
            Stage(
                pipeline=pipeline, name=_("Won"), position=1, probability=100, kind=StageKind.WON
            ),
            Stage(
                pipeline=pipeline, name=_("Lost"), position=2, probability=0, kind=StageKind.LOST
            ),
        ]
    )
    return pipeline


@transaction.atomic
def rename_pipeline(*, pipeline: Pipeline, name: str) -> Pipeline:
    errors: dict[str, list[str]] = {}
    pipeline.name = _clean_name(name, errors)
    if errors:
        raise ValidationError(errors)
    _save_pipeline(pipeline, update_fields=["name"])
    return pipeline


@transaction.atomic
def set_pipeline_active(*, pipeline: Pipeline, is_active: bool) -> Pipeline:
    """Show or hide the pipeline on the board; activating needs at least one open stage."""
    locked = _lock_pipeline(pipeline.pk)
    if is_active and not locked.stages.in_use().filter(kind=StageKind.OPEN).exists():
        raise ValidationError({"is_active": _("Add an open stage before activating the pipeline.")})
    pipeline.is_active = is_active
    pipeline.save(update_fields=["is_active"])
    return pipeline


# --- stages -----------------------------------------------------------------------------------


@transaction.atomic
def add_stage(
    *,
    pipeline: Pipeline,
    name: str,
    probability: int,
    rotting_days: int | None = None,
    kind: str = StageKind.OPEN,
    entry_fields: Sequence[str] = (),
    entry_checklist: Sequence[str] = (),
) -> Stage:
    """Add a stage: an open one after the last open stage, a closing one at the very end."""
    settings = _validated_settings(
        kind=kind,
        name=name,
        probability=probability,
        rotting_days=rotting_days,
        entry_fields=entry_fields,
        entry_checklist=entry_checklist,
    )
    _lock_pipeline(pipeline.pk)
    ordered = board_order(Stage.objects.in_use().filter(pipeline=pipeline))
    stage = Stage(
        pipeline=pipeline,
        kind=kind,
        position=0,
        name=settings.name,
        probability=settings.probability,
        rotting_days=settings.rotting_days,
        entry_fields=settings.entry_fields,
        entry_checklist=settings.entry_checklist,
    )
    if kind == StageKind.OPEN:
        open_count = sum(1 for existing in ordered if existing.kind == StageKind.OPEN)
        ordered.insert(open_count, stage)
    else:
        ordered.append(stage)
    stage.position = ordered.index(stage) + 1
    _save_stage(stage)
    _renumber(ordered)
    return stage


@transaction.atomic
def update_stage(
    *,
    stage: Stage,
    name: str,
    probability: int,
    rotting_days: int | None,
    entry_fields: Sequence[str],
    entry_checklist: Sequence[str],
) -> Stage:
    """Change a stage's settings; its kind and position stay (see ``reorder_stages``)."""
    if stage.archived_at is not None:
        raise ValidationError(_("This stage was removed."))
    settings = _validated_settings(
        kind=stage.kind,
        name=name,
        probability=probability,
        rotting_days=rotting_days,
        entry_fields=entry_fields,
        entry_checklist=entry_checklist,
    )
    stage.name = settings.name
    stage.probability = settings.probability
    stage.rotting_days = settings.rotting_days
    stage.entry_fields = settings.entry_fields
    stage.entry_checklist = settings.entry_checklist
    _save_stage(
        stage,
        update_fields=["name", "probability", "rotting_days", "entry_fields", "entry_checklist"],
    )
    return stage


def set_stage_probability(*, stage: Stage, probability: int) -> Stage:
    """Set an open stage's win probability (0-100), leaving its other settings as they are.

    One conditional UPDATE: a stage removed (archived) meanwhile, or a closing stage,
    whose probability is fixed, is refused with a message naming the field.
    """
    errors: dict[str, list[str]] = {}
    _check_probability(stage.kind, probability, errors)
    if stage.kind != StageKind.OPEN:
        errors.setdefault("probability", []).append(
            _("A won or lost stage keeps its fixed probability.")
        )
    if errors:
        raise ValidationError(errors)
    updated = Stage.objects.filter(pk=stage.pk, archived_at__isnull=True).update(
        probability=probability
    )
    if not updated:
        raise ValidationError(_("This stage was removed."))
    stage.probability = probability
    return stage


@transaction.atomic
def reorder_stages(*, pipeline: Pipeline, stage_ids: Sequence[int]) -> list[Stage]:
    """Put the pipeline's stages in the given order (positions 1..n); return them so.

    ``stage_ids`` must name every stage in use exactly once, open stages before closing
    ones; the order among the closing stages is free. A list made from an outdated page
    (a stage added or removed meanwhile) is refused rather than half applied.
    """
    _lock_pipeline(pipeline.pk)
    stages = {stage.pk: stage for stage in Stage.objects.in_use().filter(pipeline=pipeline)}
    if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(stages):
        raise ValidationError(
            {
                "stage_ids": _(
                    "The stages of this pipeline changed meanwhile; reload the page and try again."
                )
            }
        )
    ordered = [stages[pk] for pk in stage_ids]
    is_closing = [stage.kind != StageKind.OPEN for stage in ordered]
    if is_closing != sorted(is_closing):
        raise ValidationError({"stage_ids": _("Won and lost stages stay after the open stages.")})
    if any(stage.position != position for position, stage in enumerate(ordered, start=1)):
        # Reports comparing positions (how far a deal advanced) read the new order.
        signals.stages_reordered.send(sender=Stage, pipeline_id=pipeline.pk)
    _renumber(ordered)
    return ordered


def check_stage_removable(*, pipeline: Pipeline, stage: Stage, others: Sequence[Stage]) -> None:
    """Raise ValidationError if the stage may not be removed; ``others``: the stages in use.

    Also for the confirmation page, which says so before the admin chooses a target.
    """
    if stage.archived_at is not None:
        raise ValidationError(_("This stage was removed already."))
    same_kind = [other for other in others if other.kind == stage.kind]
    if stage.kind == StageKind.WON and not same_kind:
        raise ValidationError(_("A pipeline needs a won stage; this is its last one."))
    if stage.kind == StageKind.LOST and not same_kind:
        raise ValidationError(_("A pipeline needs a lost stage; this is its last one."))
    if stage.kind == StageKind.OPEN and not same_kind and pipeline.is_active:
        raise ValidationError(
            _("An active pipeline needs an open stage; deactivate it before removing its last one.")
        )


def _check_target(stage: Stage, target: Stage | None, others: Sequence[Stage], count: int) -> Stage:
    if target is None:
        raise ValidationError(
            {
                "move_deals_to": ngettext(
                    "Choose where the deal of this stage goes.",
                    "Choose where the %(count)d deals of this stage go.",
                    count,
                )
                % {"count": count}
            }
        )
    target = next((other for other in others if other.pk == target.pk), None)
    if target is None:
        raise ValidationError(
            {"move_deals_to": _("Choose another stage of this pipeline that is in use.")}
        )
    if target.kind != stage.kind:
        # Same kind keeps every moved deal's status, close date and lost reason true.
        raise ValidationError(
            {
                "move_deals_to": _("Choose a stage of the same kind (%(kind)s).")
                % {"kind": stage.get_kind_display()}
            }
        )
    return target


def _position_offset(stage: Stage, target: Stage) -> int:
    """Shift that puts the stage's open cards below the target's, keeping their order."""
    target_last = Opportunity.objects.filter(stage=target, status=OpportunityStatus.OPEN).aggregate(
        last=Max("position")
    )["last"]
    source_first = Opportunity.objects.filter(stage=stage, status=OpportunityStatus.OPEN).aggregate(
        first=Min("position")
    )["first"]
    if target_last is None or source_first is None:
        return 0
    return target_last + POSITION_GAP - source_first


def _move_all_deals(*, stage: Stage, target: Stage, by: User, now: dt.datetime) -> int:
    """Move every deal of ``stage`` to ``target``: one INSERT ... SELECT, one UPDATE,
    inside ``deals_changing`` so that reports follow the moved deals' new history.

    The deals still in the stage are read and locked first (FOR UPDATE on PostgreSQL),
    so none can leave before the history rows and the UPDATE are written. None can
    enter while the caller holds the stage row FOR UPDATE, provided the mover holds the
    row too (KEY SHARE or stronger) from reading the stage until it commits: Django's
    foreign keys are checked only at commit, too late to stop it. SQLite runs one writer
    at a time anyway.
    """
    moving = Opportunity.objects.filter(stage=stage).select_for_update(of=("self",))
    # Locked first, so the reports read their history as it was (see deals_changing).
    ids = list(moving.values_list("pk", flat=True))
    deals = Opportunity._meta.db_table
    with deals_changing(ids):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {StageChange._meta.db_table} "
                "(opportunity_id, from_stage_id, to_stage_id, by_id, at) "
                f"SELECT id, %s, %s, %s, %s FROM {deals} WHERE stage_id = %s",
                [
                    stage.pk,
                    target.pk,
                    by.pk,
                    connection.ops.adapt_datetimefield_value(now),
                    stage.pk,
                ],
            )
        # The deals go to the end of the target's column: no other writer may place a card
        # there until this commits (taken after the deals' rows, as every writer of
        # positions does).
        lock_columns([target.pk])
        offset = _position_offset(stage, target)
        return Opportunity.objects.filter(stage=stage).update(
            stage=target,
            stage_entered_at=now,
            position=F("position") + offset,
            version=F("version") + 1,
            updated_at=now,
            updated_by=by,
        )


def _is_referenced(stage: Stage) -> bool:
    """Whether any row refers to the stage: its deals, history, snapshots, anything.

    Found through the model's reverse relations, so that the pipeline app need not know
    the apps above it (forecasting's nightly snapshots cascade, and would be lost).
    """
    for relation in Stage._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        related_model = relation.related_model
        if isinstance(related_model, str):  # pragma: no cover - resolved once apps are ready
            continue
        if related_model._base_manager.filter(**{relation.field.name: stage}).exists():
            return True
    return False


@transaction.atomic
def delete_stage(*, stage: Stage, move_deals_to: Stage | None, by: User) -> StageRemoval:
    """Remove a stage, first moving all its deals (any status) to ``move_deals_to``.

    The target must be another stage in use of the same pipeline and of the same kind,
    and is needed only when the stage holds deals. Moved deals enter the target now: one
    StageChange row each, their version bumped. Entry criteria are not checked: this is
    a change of the pipeline, not a sale moving on. The stage is then deleted if nothing
    refers to it, and archived (``archived_at``) when history does.

    Raises ValidationError for the last won or lost stage, the last open stage of an
    active pipeline, or a missing or unsuitable target (field ``move_deals_to``).
    """
    pipeline = _lock_pipeline(stage.pipeline_id)
    # FOR UPDATE, not NO KEY UPDATE: it conflicts with the KEY SHARE lock a move into this
    # stage holds, so such a move either commits first (and its deal is carried along) or
    # waits until the stage is gone or archived (see _move_all_deals).
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    others = list(Stage.objects.in_use().filter(pipeline=pipeline).exclude(pk=stage.pk))
    check_stage_removable(pipeline=pipeline, stage=stage, others=others)

    count = Opportunity.objects.filter(stage=stage).count()
    target = None
    moved = 0
    now = timezone.now()
    if count:
        target = _check_target(stage, move_deals_to, others, count)
        moved = _move_all_deals(stage=stage, target=target, by=by, now=now)

    archived = _is_referenced(stage)
    if archived:
        stage.archived_at = now
        stage.save(update_fields=["archived_at"])
    else:
        stage.delete()
    return StageRemoval(stage=stage, moved=moved, archived=archived, target=target)
