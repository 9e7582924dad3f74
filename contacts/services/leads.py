"""Leads: capture, edit, merge, qualify and disqualify.

Rules every function here keeps:

- A lead the actor cannot see raises ``Lead.DoesNotExist`` (a 404); one they see but may not
  change raises ``PermissionDenied`` (a 403); bad input raises ``ValidationError`` keyed by
  the field it is about. Nothing is written when any of these is raised.
- A lead matching an earlier one (see ``contacts.services.duplicates``) is never created
  silently: ``create_lead`` raises ``DuplicateLead`` unless told to create it anyway, and
  then flags it as a possible duplicate of the oldest match until the two are merged.
- Owners: a rep may give a lead only to themselves or a teammate, a manager to a member of
  a team they manage, an admin (or the system, ``by=None``) to anyone active. A new lead
  without an owner gets one from the lead policy's assignment rule.
- Status: new, then contacted with the first call, email or meeting
  (``pipeline.services.log_touchpoint``), then qualified while the qualification score is
  at or above the policy's threshold (answering criteria moves it both ways), converted by
  ``pipeline.services.convert_lead``. Disqualified needs a reason. Converted and
  disqualified leads keep their status when their score changes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.assignment import assignable_users
from accounts.models import User
from contacts.extensions import run_merge_handlers
from contacts.models import (
    Lead,
    LeadPolicy,
    LeadStatus,
    QualificationAnswer,
    QualificationCriterion,
    RecordKind,
)
from contacts.services.assignment import assign_owner
from contacts.services.duplicates import (
    duplicate_keys,
    find_duplicate_leads,
    hold_duplicate_keys,
    normalise_domain,
)
from contacts.services.record_values import apply_custom_values
from contacts.signals import lead_created
from core.custom_fields.values import filled_from

__all__ = [
    "EDITABLE_FIELDS",
    "LEAD_DETAILS",
    "DuplicateLead",
    "answer_criteria",
    "clear_duplicate_flag",
    "create_lead",
    "disqualify_lead",
    "fill_lead",
    "find_duplicate_leads",
    "lead_owners",
    "merge_leads",
    "normalise_domain",
    "rescore_lead",
    "update_lead",
]

# What a person (form, API, import row, the admin's add form) may set on a lead, in the
# order a form shows them. Status, score, touches and the conversion fields belong to the
# services that record those events.
LEAD_DETAILS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "company_domain",
    "job_title",
    "country",
    "region",
    "source",
    "owner",
    "external_id",
)
# Custom values (field key -> value) are checked against the lead fields admins defined.
EDITABLE_FIELDS = frozenset(LEAD_DETAILS) | {"custom_fields"}
# An import may carry when the prospect was first seen elsewhere.
CREATE_ONLY_FIELDS = frozenset({"created_at"})
# Fields a merge copies from the merged lead when the kept lead has them blank.
FILLABLE_FIELDS = (
    "first_name",
    "email",
    "phone",
    "company_name",
    "company_domain",
    "job_title",
    "country",
    "region",
    "external_id",
)
OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED})
REASON_MAX_LENGTH = Lead._meta.get_field("disqualified_reason").max_length or 200


class DuplicateLead(Exception):
    """The lead matches earlier leads (``matches``, oldest first, visible or not)."""

    def __init__(self, matches: list[Lead]) -> None:
        self.matches = matches
        super().__init__(
            _("A lead with this email or company domain already exists (%(count)d found).")
            % {"count": len(matches)}
        )


# --- who may do what -----------------------------------------------------------------------


def _visible_lead(by: User, lead_id: int, *, lock: bool = False) -> Lead:
    leads = Lead.objects.visible_to(by)
    if lock:
        # Only the lead's row: a manager's visibility joins the owner, which may be missing.
        leads = leads.select_for_update(of=("self",))
    return leads.get(pk=lead_id)


def _editable_lead(by: User, lead_id: int, *, lock: bool = False) -> Lead:
    """The lead, if ``by`` may change it: DoesNotExist if invisible, else PermissionDenied."""
    lead = _visible_lead(by, lead_id, lock=lock)
    if not Lead.objects.editable_by(by).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You may not change this lead."))
    return lead


def lead_owners(by: User | None) -> QuerySet[User]:
    """Active users ``by`` may give a lead to: the rule behind every owner field.

    The shared assignment rule, widened for reps to their teammates: a lead is prospecting
    the team shares, so a rep may pass one on, while deals and contacts stay with whoever
    owns them. The system (``by=None``) may give a lead to anyone active.
    """
    if by is None:
        return User.objects.filter(is_active=True)
    owners = assignable_users(by)
    if by.is_admin or by.is_manager or by.team_id is None:
        return owners
    return owners | User.objects.filter(is_active=True, team_id=by.team_id)


def _resolve_owner(by: User | None, value: object) -> User | None:
    if value is None or value == "":
        return None
    owner_id = value.pk if isinstance(value, User) else value
    try:
        return lead_owners(by).get(pk=owner_id)  # type: ignore[misc]
    except (User.DoesNotExist, ValueError, TypeError):
        raise ValidationError(
            {"owner": _("Choose an active member of a team you may give leads to.")}
        ) from None


# --- input ---------------------------------------------------------------------------------


def _clean_fields(fields: Mapping[str, object], allowed: Iterable[str]) -> dict[str, Any]:
    """Known fields, with text trimmed and codes normalised; unknown names are an error."""
    allowed = frozenset(allowed)
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({name: _("Leads have no field with this name.") for name in unknown})
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        cleaned[name] = value
    if isinstance(cleaned.get("country"), str):
        cleaned["country"] = cleaned["country"].upper()
    if isinstance(cleaned.get("company_domain"), str):
        cleaned["company_domain"] = normalise_domain(cleaned["company_domain"])
    return cleaned


def _fill_domain(lead: Lead) -> None:
    # A business address says which company the prospect works for; keep that as the domain.
    if not lead.company_domain:
        lead.company_domain = duplicate_keys(email=lead.email, company_domain="")[1]


def _check_duplicates(lead: Lead, *, allow_duplicate: bool) -> None:
    email_key, domain = duplicate_keys(email=lead.email, company_domain=lead.company_domain)
    hold_duplicate_keys([f"email:{email_key}", f"domain:{domain}"])
    matches = list(
        find_duplicate_leads(email=lead.email, company_domain=lead.company_domain, exclude=lead)
    )
    if not matches:
        return
    if not allow_duplicate:
        raise DuplicateLead(matches)
    if lead.duplicate_of_id is None:
        lead.duplicate_of = matches[0]


# --- capture and edit -----------------------------------------------------------------------


@transaction.atomic
def create_lead(
    *, by: User | None, fields: Mapping[str, object], allow_duplicate: bool = False
) -> Lead:
    """Create a lead from form, API or import fields; ``by`` is None for system imports.

    Raises ValidationError naming each bad field, or DuplicateLead when the lead matches
    earlier ones and ``allow_duplicate`` is false. Without an owner the lead policy's rule
    picks one; when the rule picks nobody a rep's own lead stays theirs (it would vanish
    from their view otherwise), while a manager's or admin's waits in the managers' queue.
    ``lead_created`` is sent once the transaction has committed.
    """
    cleaned = _clean_fields(fields, EDITABLE_FIELDS | CREATE_ONLY_FIELDS)
    owner = _resolve_owner(by, cleaned.pop("owner", None))
    custom = {"custom_fields": cleaned.pop("custom_fields", None)}
    lead = Lead(**cleaned, owner=owner, status=LeadStatus.NEW)
    apply_custom_values(RecordKind.LEAD, lead, custom)
    _fill_domain(lead)
    lead.full_clean(exclude=["owner"])
    _check_duplicates(lead, allow_duplicate=allow_duplicate)
    if lead.owner is None:
        lead.owner = assign_owner(lead, policy=LeadPolicy.current())
    if lead.owner is None and by is not None and not (by.is_manager or by.is_admin):
        lead.owner = by
    lead.save()
    transaction.on_commit(functools.partial(lead_created.send, sender=Lead, lead=lead, by=by))
    return lead


@transaction.atomic
def update_lead(
    *, by: User, lead_id: int, fields: Mapping[str, object], allow_duplicate: bool = False
) -> Lead:
    """Change a lead's details or owner. A new email or domain is checked for duplicates."""
    lead = _editable_lead(by, lead_id, lock=True)
    cleaned = _clean_fields(fields, EDITABLE_FIELDS)
    if "owner" in cleaned:
        new_owner = cleaned.pop("owner")
        owner_id = new_owner.pk if isinstance(new_owner, User) else new_owner
        if owner_id != lead.owner_id:
            # Taking a lead out of the queue or handing it on follows the same owner rule.
            cleaned["owner"] = _resolve_owner(by, new_owner)
    apply_custom_values(
        RecordKind.LEAD, lead, {"custom_fields": cleaned.pop("custom_fields", None)}
    )
    keys_before = duplicate_keys(email=lead.email, company_domain=lead.company_domain)
    for name, value in cleaned.items():
        setattr(lead, name, value)
    _fill_domain(lead)
    lead.full_clean(exclude=["owner"])
    if duplicate_keys(email=lead.email, company_domain=lead.company_domain) != keys_before:
        _check_duplicates(lead, allow_duplicate=allow_duplicate)
    lead.save()
    return lead


# --- merge ----------------------------------------------------------------------------------


@transaction.atomic
def merge_leads(*, by: User, keep_id: int, merge_id: int) -> Lead:
    """Fold the lead ``merge_id`` into ``keep_id`` and delete it.

    Its touchpoints, tasks, deals and answers move to the kept lead (where both answered a
    criterion, the kept lead's answer stands); the kept lead's blank fields are filled from
    it; contact attempts add up; the earliest creation and first touch and the latest touch
    win, so speed to lead and the cadence count everything that happened. Both leads must
    be editable by ``by``. A converted lead can be kept but not merged away: it is the
    history of a contact and a deal.
    """
    if keep_id == merge_id:
        raise ValidationError({"merge_id": _("A lead cannot be merged into itself.")})
    # Both rows locked, in primary-key order, so that two merges of the pair cannot cross.
    locked = {
        lead.pk: lead
        for lead in Lead.objects.visible_to(by)
        .select_for_update(of=("self",))
        .filter(pk__in=[keep_id, merge_id])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise Lead.DoesNotExist(f"No visible leads {keep_id} and {merge_id}.")
    if Lead.objects.editable_by(by).filter(pk__in=[keep_id, merge_id]).count() != 2:
        raise PermissionDenied(_("You may only merge leads you may change."))
    keep, merged = locked[keep_id], locked[merge_id]
    if merged.status == LeadStatus.CONVERTED:
        raise ValidationError(
            {"merge_id": _("This lead was converted: keep it and merge the other into it.")}
        )

    for name in FILLABLE_FIELDS:
        if not getattr(keep, name) and getattr(merged, name):
            setattr(keep, name, getattr(merged, name))
    keep.custom_fields = filled_from(keep.custom_fields, merged.custom_fields)
    if keep.owner_id is None:
        keep.owner_id = merged.owner_id
    keep.created_at = min(keep.created_at, merged.created_at)
    touches = [at for at in (keep.first_touch_at, merged.first_touch_at) if at is not None]
    keep.first_touch_at = min(touches, default=None)
    touches = [at for at in (keep.last_touch_at, merged.last_touch_at) if at is not None]
    keep.last_touch_at = max(touches, default=None)
    keep.contact_attempts += merged.contact_attempts
    if keep.status == LeadStatus.NEW and keep.first_touch_at is not None:
        keep.status = LeadStatus.CONTACTED
    if keep.duplicate_of_id == merged.pk:
        keep.duplicate_of = None

    # Touchpoints, tasks and deals belong to the apps above contacts: their merge handlers
    # move them.
    run_merge_handlers(Lead, merged_id=merged.pk, kept_id=keep.pk)
    answered = keep.answers.values("criterion_id")
    merged.answers.exclude(criterion_id__in=answered).update(lead=keep)
    Lead.objects.filter(duplicate_of=merged).exclude(pk=keep.pk).update(duplicate_of=keep)
    # Deleted before the kept lead takes its external id, which is unique.
    merged.delete()
    _apply_score(keep, LeadPolicy.current())
    keep.save()
    return keep


@transaction.atomic
def fill_lead(*, by: User, lead_id: int, fields: Mapping[str, object]) -> Lead:
    """Add details of a would-be duplicate to the existing lead instead of creating it.

    Only the existing lead's blank fields are filled; what it already says stands. The
    fields are validated as ``create_lead`` would.
    """
    lead = _editable_lead(by, lead_id, lock=True)
    cleaned = _clean_fields(fields, EDITABLE_FIELDS)
    cleaned.pop("owner", None)
    candidate = Lead(**cleaned)
    _fill_domain(candidate)
    candidate.full_clean(exclude=["owner", "last_name", "source", "external_id"])
    for name in (*FILLABLE_FIELDS, "last_name"):
        if name != "external_id" and not getattr(lead, name) and getattr(candidate, name):
            setattr(lead, name, getattr(candidate, name))
    lead.full_clean(exclude=["owner"])
    lead.save()
    return lead


@transaction.atomic
def clear_duplicate_flag(*, by: User, lead_id: int) -> Lead:
    """Record that a flagged lead is a different prospect from the one it resembled."""
    lead = _editable_lead(by, lead_id, lock=True)
    if lead.duplicate_of_id is not None:
        lead.duplicate_of = None
        lead.save(update_fields=["duplicate_of", "updated_at"])
    return lead


# --- qualification ---------------------------------------------------------------------------


def lead_score(lead_id: int) -> int:
    """Met weight over the total weight of active criteria, as a whole percentage."""
    active = QualificationCriterion.objects.filter(is_active=True)
    total = active.aggregate(total=Sum("weight"))["total"] or 0
    if not total:
        return 0
    met = (
        QualificationAnswer.objects.filter(
            lead_id=lead_id, is_met=True, criterion__in=active
        ).aggregate(met=Sum("criterion__weight"))["met"]
        or 0
    )
    percent = Decimal(met * 100) / Decimal(total)
    return int(percent.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def qualification_status(lead: Lead, threshold: int) -> str:
    """The status an open lead has at its score; closed leads keep theirs."""
    if lead.status in (LeadStatus.NEW, LeadStatus.CONTACTED) and lead.score >= threshold:
        return LeadStatus.QUALIFIED
    if lead.status == LeadStatus.QUALIFIED and lead.score < threshold:
        touched = lead.first_touch_at is not None or lead.contact_attempts > 0
        return LeadStatus.CONTACTED if touched else LeadStatus.NEW
    return lead.status


def _apply_score(lead: Lead, policy: LeadPolicy) -> None:
    lead.score = lead_score(lead.pk)
    lead.status = qualification_status(lead, policy.qualification_threshold)


@transaction.atomic
def rescore_lead(*, lead_id: int) -> Lead:
    """Recompute one lead's score and qualification after its answers changed elsewhere."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    if lead.status != LeadStatus.CONVERTED:
        _apply_score(lead, LeadPolicy.current())
        lead.save(update_fields=["score", "status", "updated_at"])
    return lead


@transaction.atomic
def answer_criteria(*, by: User, lead_id: int, answers: Mapping[int, bool | None]) -> Lead:
    """Record whether each criterion (by id) is met, then rescore the lead.

    Only active criteria can be answered; criteria left out keep their earlier answer, and
    None takes a criterion's answer back (not known after all).
    A new or contacted lead reaching the policy's threshold becomes qualified; a qualified
    lead falling below it goes back to contacted (or new, if nobody reached it yet).
    """
    lead = _editable_lead(by, lead_id, lock=True)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead has been converted; its qualification is closed."))
    criteria = set(
        QualificationCriterion.objects.filter(is_active=True, pk__in=list(answers)).values_list(
            "pk", flat=True
        )
    )
    unknown = sorted(set(answers) - criteria)
    if unknown:
        raise ValidationError(
            {
                "answers": _("No active criterion with id %(ids)s.")
                % {"ids": ", ".join(str(pk) for pk in unknown)}
            }
        )
    now = timezone.now()
    withdrawn = [criterion_id for criterion_id, is_met in answers.items() if is_met is None]
    if withdrawn:
        QualificationAnswer.objects.filter(lead=lead, criterion_id__in=withdrawn).delete()
    QualificationAnswer.objects.bulk_create(
        [
            QualificationAnswer(
                lead=lead,
                criterion_id=criterion_id,
                is_met=bool(is_met),
                answered_by=by,
                answered_at=now,
            )
            for criterion_id, is_met in answers.items()
            if is_met is not None
        ],
        update_conflicts=True,
        unique_fields=["lead", "criterion"],
        update_fields=["is_met", "answered_by", "answered_at"],
    )
    _apply_score(lead, LeadPolicy.current())
    lead.save(update_fields=["score", "status", "updated_at"])
    return lead


@transaction.atomic
def disqualify_lead(*, by: User, lead_id: int, reason: str) -> Lead:
    """Let an open lead go, saying why. Disqualifying again replaces the reason."""
    lead = _editable_lead(by, lead_id, lock=True)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why this lead is disqualified.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason to %(limit)d characters.") % {"limit": REASON_MAX_LENGTH}}
        )
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("A converted lead cannot be disqualified."))
    lead.status = LeadStatus.DISQUALIFIED
    lead.disqualified_reason = reason
    lead.save(update_fields=["status", "disqualified_reason", "updated_at"])
    return lead
