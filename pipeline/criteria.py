"""Entry criteria: what a deal must satisfy before it may enter a stage."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pipeline.models import EntryField, Opportunity, Stage, StageKind


def missing_entry_criteria(opportunity: Opportunity, stage: Stage) -> list[str]:
    """Names of the stage's requirements the deal does not meet, in the stage's order.

    A lost stage takes any deal: losing is never blocked by paperwork. ``next_task`` and
    ``decision_maker`` cost one indexed query each, and only when the stage asks for them;
    a deal not yet saved has neither a task nor a buying team.
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
