"""Custom fields of deals: defining them (admins), setting a deal's values, entry criteria.

A deal's values are one JSON column on its row. Setting them is an edit like any other:
``lock_editable_deal`` (visibility, permission, version), every value checked against its
field, one ``claim_deal`` UPDATE that writes the column and bumps the version (a stale one
answers 409), and a DealChange "custom:<key>" per changed value, in one transaction.
The entry criterion (a field required from a stage on) is in ``pipeline.criteria``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from core.custom_fields.kinds import JsonValue
from core.custom_fields.services import (
    FieldSpec,
    apply_spec,
    check_admin,
    reorder,
    save_new,
    set_archived,
)
from core.custom_fields.values import clean_values, merged_values
from pipeline.models import DealField, Opportunity, Stage, StageKind
from pipeline.services.claims import claim_deal, lock_editable_deal
from pipeline.services.history import record_deal_changes

HISTORY_PREFIX = "custom:"


def deal_fields() -> QuerySet[DealField]:
    """Every deal field, archived ones too, in their order."""
    return DealField.objects.order_by("position", "pk")


def active_deal_fields() -> list[DealField]:
    """The fields forms, the panel, lists and the API show: one query."""
    return list(
        deal_fields().filter(archived_at__isnull=True).select_related("required_from_stage")
    )


def _check_required_from(stage: Stage | None) -> None:
    if stage is None:
        return
    if stage.archived_at is not None or stage.kind == StageKind.LOST:
        raise ValidationError(
            {"required_from_stage": _("Choose an open or won stage that is in use.")}
        )


@transaction.atomic
def define_deal_field(
    *, by: User, spec: FieldSpec, required_from_stage: Stage | None = None
) -> DealField:
    """Add a deal field, last in order; admins only. ``required_from_stage`` makes it an
    entry criterion of that stage and every later one of its pipeline."""
    check_admin(by)
    definition = DealField(required_from_stage=required_from_stage)
    apply_spec(definition, spec)
    _check_required_from(required_from_stage)
    # Serialises defines, so two never compute the same key.
    list(deal_fields().select_for_update())
    return save_new(definition, deal_fields())


@transaction.atomic
def change_deal_field(
    *, by: User, field_id: int, spec: FieldSpec, required_from_stage: Stage | None
) -> DealField:
    """Relabel a field, change its kind, help text, choices or required-from stage."""
    check_admin(by)
    definition = DealField.objects.select_for_update().get(pk=field_id)
    apply_spec(definition, spec)
    _check_required_from(required_from_stage)
    definition.required_from_stage = required_from_stage
    definition.save()
    return definition


@transaction.atomic
def reorder_deal_fields(*, by: User, keys: Sequence[str]) -> None:
    check_admin(by)
    reorder(deal_fields().select_for_update(), keys)


@transaction.atomic
def archive_deal_field(*, by: User, field_id: int, archived: bool = True) -> DealField:
    """Hide a field (its values and history stay), or bring it back."""
    check_admin(by)
    definition = DealField.objects.select_for_update().get(pk=field_id)
    set_archived(definition, archived=archived)
    return definition


def clean_deal_values(values: Mapping[str, object]) -> dict[str, JsonValue]:
    """``values`` checked against the active deal fields; ValidationError names each bad one."""
    return clean_values(active_deal_fields(), values) if values else {}


@transaction.atomic
def set_deal_custom_values(
    *, by: User, opportunity_id: int, version: int | None, values: Mapping[str, object]
) -> Opportunity:
    """Set the given custom values of a deal ``by`` may edit; the others stay as they are.

    ``values`` maps field keys to raw values (None or "" empties one). Raises
    Opportunity.DoesNotExist (404), PermissionDenied (403), ValidationError naming each bad
    field as ``custom_fields.<key>`` (nothing written) and MoveConflict when ``version`` is
    given and no longer the deal's (409). Emptying a field a later stage requires is fine:
    entry criteria are checked on entering a stage, not while in it.
    """
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    if not values:
        return opportunity
    changes = clean_deal_values(values)
    before = dict(opportunity.custom_fields or {})
    merged = merged_values(before, changes)
    claim_deal(by=by, opportunity=opportunity, version=version, columns={"custom_fields": merged})
    opportunity.custom_fields = merged
    record_deal_changes(
        opportunity=opportunity,
        by=by,
        before={f"{HISTORY_PREFIX}{key}": before.get(key) for key in changes},
        after={f"{HISTORY_PREFIX}{key}": merged.get(key) for key in changes},
        at=opportunity.updated_at,
    )
    return opportunity
