"""Entry criteria: what a deal must satisfy before it may enter a stage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from pipeline.models import DealField, EntryField, Opportunity, Stage, StageKind, board_rank


def missing_entry_criteria(opportunity: Opportunity, stage: Stage) -> list[str]:
    """Names of the stage's requirements the deal does not meet, in the stage's order.

    A lost stage takes any deal: losing is never blocked by paperwork. ``next_task`` and
    ``decision_maker`` cost one indexed query each, and only when the stage asks for them;
    a deal not yet saved has neither a task nor a buying team. Custom fields required from
    this stage or an earlier one cost one query for their definitions (the values are on
    the deal's row).
    """
    if stage.kind == StageKind.LOST:
        return []
    return [
        *missing_entry_fields(opportunity, stage),
        *missing_custom_fields(opportunity.custom_fields, stage),
    ]


def missing_entry_fields(opportunity: Opportunity, stage: Stage) -> list[str]:
    """``missing_entry_criteria`` but for custom fields: the stage's fields and checklist.

    For a caller that has checked the required custom fields itself (``create_opportunity``
    names each one as a field error), so their definitions are not read twice.
    """
    if stage.kind == StageKind.LOST:
        return []
    missing: list[str] = []
    for name in stage.entry_fields:
        if name == EntryField.VALUE and not opportunity.value:
            missing.append(str(EntryField.VALUE.label))
        elif name == EntryField.EXPECTED_CLOSE_DATE and opportunity.expected_close_date is None:
            missing.append(str(EntryField.EXPECTED_CLOSE_DATE.label))
        elif name == EntryField.CONTACT and opportunity.contact_id is None:
            missing.append(str(EntryField.CONTACT.label))
        elif name == EntryField.NEXT_TASK and (
            opportunity.pk is None or not opportunity.tasks.filter(done_at__isnull=True).exists()
        ):
            missing.append(str(EntryField.NEXT_TASK.label))
        elif name == EntryField.DECISION_MAKER and (
            opportunity.pk is None
            or not opportunity.buying_team.filter(role__decides=True).exists()
        ):
            missing.append(str(EntryField.DECISION_MAKER.label))
    done = set(opportunity.checklist_done)
    missing.extend(
        _("Checklist: %(item)s") % {"item": item}
        for item in stage.entry_checklist
        if item not in done
    )
    return missing


def required_custom_fields(
    custom_fields: Mapping[str, Any] | None, stage: Stage
) -> list[DealField]:
    """The deal fields required at ``stage`` that ``custom_fields`` holds no value for.

    A field required from stage S is required in S and every stage after it on the board of
    S's pipeline (open stages by position, then won); a lost stage takes any deal. One
    query for the pipeline's required fields; the values are on the deal's row.
    """
    if stage.kind == StageKind.LOST:
        return []
    required = DealField.objects.filter(
        archived_at__isnull=True,
        required_from_stage__pipeline_id=stage.pipeline_id,
        required_from_stage__archived_at__isnull=True,
    ).select_related("required_from_stage")
    held = custom_fields or {}
    return [
        definition
        for definition in required.order_by("position", "pk")
        if definition.required_from_stage is not None
        and board_rank(definition.required_from_stage) <= board_rank(stage)
        and held.get(definition.key) in (None, "", [])
    ]


def missing_custom_fields(custom_fields: Mapping[str, Any] | None, stage: Stage) -> list[str]:
    """Labels of the custom fields ``stage`` requires that the deal has no value for."""
    return [definition.label for definition in required_custom_fields(custom_fields, stage)]
