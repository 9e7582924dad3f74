"""Touchpoints and tasks: what happened on a deal, lead, contact or company, and what is due.

Who may do what (the rules the deal panel, the API and imports share):

- Log a touchpoint: anyone who can see the deal, lead, contact or company it is about. Teammates
  cover each other's calls; the touchpoint records who made it (``by``), and changes none
  of the deal's own fields, so seeing the record is enough.
- Add a task: anyone who can see what it is about. The assignee is the actor, or, for a
  manager, a member of a team they manage; an admin may assign anyone.
- Complete or reopen a task: whoever may edit it (its assignee, the assignee's manager, an
  admin); a teammate who merely sees the task may not tick it off for someone else.

A record the actor cannot see raises its model's ``DoesNotExist`` (a 404); a visible one
they may not change raises ``PermissionDenied`` (a 403); bad input raises
``ValidationError`` keyed by the field it is about.

Touchpoints and tasks never bump a deal's ``version``: they do not change what a board move
is about, so a call logged while a colleague drags the card must not make that drag lose
a race. They do bump ``updated_at``: that UPDATE of the deal is a row of the board's change
sequence, so every open board redraws the card (last touch, next task, overdue badge).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.assignment import may_assign_to
from accounts.models import User
from contacts.models import Company, Contact, Lead, LeadStatus
from pipeline.models import Opportunity, Task, Touchpoint, TouchpointKind, TouchpointOutcome
from pipeline.services.reporting import activity_added, activity_changing

# A touchpoint is something that happened. Browsers and servers disagree by a few seconds,
# and a time entered "now" in a minute-precision field may round up: allow that much.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)
# Kinds that try to reach a lead: they count towards the contact-attempt cadence.
ATTEMPT_KINDS = frozenset({TouchpointKind.CALL, TouchpointKind.EMAIL})
# Kinds that reach out to a lead at all; a note is written for colleagues, not the prospect.
CONTACT_KINDS = frozenset({TouchpointKind.CALL, TouchpointKind.EMAIL, TouchpointKind.MEETING})
TITLE_MAX_LENGTH = Task._meta.get_field("title").max_length or 200
# Room for a meeting's minutes; a pasted e-mail thread belongs in an attachment.
SUMMARY_MAX_LENGTH = 5000


def _require_aware(value: dt.datetime | None, field: str) -> None:
    if value is not None and timezone.is_naive(value):
        raise ValidationError({field: _("Give a time with its time zone.")})


def _require_subject(*subject_ids: int | None) -> None:
    if all(subject_id is None for subject_id in subject_ids):
        raise ValidationError(_("Say which deal, lead, contact or company this is about."))


def _claim_deal(by: User, opportunity_id: int, **changes: object) -> None:
    """Write ``changes`` to a deal visible to ``by``; raise DoesNotExist if it is not.

    One conditional UPDATE both checks visibility and writes, so there is no window between
    the check and the write.
    """
    now = timezone.now()
    updated = (
        Opportunity.objects.visible_to(by)
        .filter(pk=opportunity_id)
        .update(**changes, updated_at=now)
    )
    if not updated:
        raise Opportunity.DoesNotExist(f"No visible deal {opportunity_id}.")


def _require_visible_contact(by: User, contact_id: int) -> None:
    if not Contact.objects.visible_to(by).filter(pk=contact_id).exists():
        raise Contact.DoesNotExist(f"No visible contact {contact_id}.")


def _require_visible_company(by: User, company_id: int) -> None:
    if not Company.objects.visible_to(by).filter(pk=company_id).exists():
        raise Company.DoesNotExist(f"No visible company {company_id}.")


def _touch_lead(by: User, lead_id: int, kind: str, at: dt.datetime) -> None:
    """Record a touch on a visible lead: the fields behind speed-to-lead and the cadence."""
    leads = Lead.objects.visible_to(by).filter(pk=lead_id)
    if kind not in CONTACT_KINDS:
        if not leads.exists():
            raise Lead.DoesNotExist(f"No visible lead {lead_id}.")
        return
    updated = leads.update(
        # Greatest/Least keep the extremes: a back-dated touch never moves them the wrong way.
        last_touch_at=Greatest(Coalesce("last_touch_at", Value(at)), Value(at)),
        # A lead entered after the first call happened still cannot be touched before it
        # existed (a database constraint): clamp to its creation.
        first_touch_at=Greatest(
            Least(Coalesce("first_touch_at", Value(at)), Value(at)), F("created_at")
        ),
        contact_attempts=F("contact_attempts") + (1 if kind in ATTEMPT_KINDS else 0),
        status=Case(
            When(status=LeadStatus.NEW, then=Value(LeadStatus.CONTACTED)),
            default=F("status"),
        ),
        updated_at=timezone.now(),
    )
    if not updated:
        raise Lead.DoesNotExist(f"No visible lead {lead_id}.")


@transaction.atomic
def log_touchpoint(
    *,
    by: User,
    kind: str,
    at: dt.datetime | None = None,
    outcome: str = "",
    summary: str = "",
    opportunity_id: int | None = None,
    lead_id: int | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
) -> Touchpoint:
    """Record a call, email, meeting or note about a deal, lead, contact and/or company.

    ``at`` defaults to now and may not lie in the future. A deal's ``last_touch_at`` moves
    forward to ``at`` (never backwards: logging last week's call after today's leaves it at
    today). On a lead, calls, emails and meetings set first and last touch and move a new
    lead to contacted; calls and emails also count as contact attempts. Notes change no
    lead field: the cadence counts what reached the prospect.
    """
    now = timezone.now()
    at = now if at is None else at
    errors: dict[str, str] = {}
    if kind not in TouchpointKind.values:
        errors["kind"] = _("Choose call, email, meeting or note.")
    if outcome not in TouchpointOutcome.values:
        errors["outcome"] = _("Choose one of the listed outcomes.")
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = _("Keep the summary to %(limit)d characters.") % {
            "limit": SUMMARY_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    _require_aware(at, "at")
    if at > now + FUTURE_TOLERANCE:
        raise ValidationError(
            {
                "at": _(
                    "A touchpoint records something that happened, so it cannot be in the future."
                )
            }
        )
    _require_subject(opportunity_id, lead_id, contact_id, company_id)

    if opportunity_id is not None:
        _claim_deal(
            by,
            opportunity_id,
            last_touch_at=Greatest(Coalesce("last_touch_at", Value(at)), Value(at)),
        )
    if lead_id is not None:
        _touch_lead(by, lead_id, kind, at)
    if contact_id is not None:
        _require_visible_contact(by, contact_id)
    if company_id is not None:
        _require_visible_company(by, company_id)
    touchpoint = Touchpoint.objects.create(
        kind=kind,
        at=at,
        by=by,
        outcome=outcome,
        summary=summary.strip(),
        opportunity_id=opportunity_id,
        lead_id=lead_id,
        contact_id=contact_id,
        company_id=company_id,
    )
    activity_added(Touchpoint, [touchpoint.pk])
    return touchpoint


def _check_assignee(by: User, assignee: User) -> None:
    if not assignee.is_active:
        raise ValidationError({"assignee": _("%(user)s is no longer active.") % {"user": assignee}})
    if not may_assign_to(by, assignee):
        raise PermissionDenied(_("You may not assign tasks to %(user)s.") % {"user": assignee})


@transaction.atomic
def add_task(
    *,
    by: User,
    title: str,
    due_at: dt.datetime,
    assignee: User | None = None,
    notes: str = "",
    opportunity_id: int | None = None,
    lead_id: int | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
) -> Task:
    """Create a task about a visible deal, lead, contact and/or company, for ``assignee``.

    ``assignee`` defaults to ``by``. A due time in the past is accepted (the task is simply
    overdue): people record follow-ups they should already have done.
    """
    title = title.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Say what needs doing.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("Keep the title to %(limit)d characters.") % {"limit": TITLE_MAX_LENGTH}
    if due_at is None:
        errors["due_at"] = _("Say when the task is due.")
    if errors:
        raise ValidationError(errors)
    _require_aware(due_at, "due_at")
    _require_subject(opportunity_id, lead_id, contact_id, company_id)
    assignee = by if assignee is None else assignee
    _check_assignee(by, assignee)

    if opportunity_id is not None:
        _claim_deal(by, opportunity_id)
    if lead_id is not None and not Lead.objects.visible_to(by).filter(pk=lead_id).exists():
        raise Lead.DoesNotExist(f"No visible lead {lead_id}.")
    if contact_id is not None:
        _require_visible_contact(by, contact_id)
    if company_id is not None:
        _require_visible_company(by, company_id)
    # An open task counts in no activity report until it is done: reports need no notice.
    return Task.objects.create(
        title=title,
        notes=notes.strip(),
        due_at=due_at,
        assignee=assignee,
        created_by=by,
        opportunity_id=opportunity_id,
        lead_id=lead_id,
        contact_id=contact_id,
        company_id=company_id,
    )


def _editable_task(by: User, task_id: int) -> Task:
    task = Task.objects.visible_to(by).get(pk=task_id)
    if task.assignee_id != by.pk and not Task.objects.editable_by(by).filter(pk=task.pk).exists():
        raise PermissionDenied(_("Only the assignee or their manager may change this task."))
    return task


def _touch_task_deal(task: Task, now: dt.datetime) -> None:
    # The card shows the next task and an overdue badge: let polling boards refresh it.
    if task.opportunity_id is not None:
        Opportunity.objects.filter(pk=task.opportunity_id).update(updated_at=now)


@transaction.atomic
def complete_task(*, by: User, task_id: int) -> Task:
    """Mark a task done now and clear its overdue flag; completing a done task changes nothing.

    The conditional UPDATE (``done_at IS NULL``) makes a double click or two people ticking
    the same task at once record one completion, the first.
    """
    task = _editable_task(by, task_id)
    now = timezone.now()
    with activity_changing(Task, [task.pk]):
        completed = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=now, overdue_since=None
        )
    if completed:
        task.done_at, task.overdue_since = now, None
        _touch_task_deal(task, now)
    else:
        task.refresh_from_db(fields=["done_at", "overdue_since"])
    return task


@transaction.atomic
def reopen_task(*, by: User, task_id: int) -> Task:
    """Undo a completion; reopening an open task changes nothing.

    The overdue flag stays clear until the nightly job sets it again; the panel and board
    show "overdue" from the due time meanwhile.
    """
    task = _editable_task(by, task_id)
    with activity_changing(Task, [task.pk]):
        reopened = Task.objects.filter(pk=task.pk, done_at__isnull=False).update(done_at=None)
    if reopened:
        task.done_at = None
        _touch_task_deal(task, timezone.now())
    return task
