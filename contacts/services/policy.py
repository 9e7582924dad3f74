"""The lead rules admins set: qualification criteria and threshold, cadence, assignment,
territories.

Only admins change them (PermissionDenied otherwise). When a criterion's weight or
activity changes, every lead that is not converted is rescored in one UPDATE; when the
threshold changes, open leads move between contacted and qualified in one UPDATE each. A
converted lead keeps the score it was converted with: the evidence behind that decision.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Team, Territory, User
from contacts.models import (
    AssignmentRule,
    Lead,
    LeadPolicy,
    LeadStatus,
    QualificationAnswer,
    QualificationCriterion,
)

__all__ = [
    "add_criterion",
    "add_territory",
    "delete_territory",
    "move_criterion",
    "requalify_leads",
    "rescore_leads",
    "update_criterion",
    "update_policy",
]

QUESTION_MAX_LENGTH = QualificationCriterion._meta.get_field("question").max_length or 200
GUIDANCE_MAX_LENGTH = QualificationCriterion._meta.get_field("help_text").max_length or 300
MAX_ATTEMPTS = 50
MAX_SILENT_DAYS = 365


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise PermissionDenied(_("Only administrators change the lead rules."))


def rescore_leads() -> int:
    """Recompute every unconverted lead's score from its answers; returns the rows updated.

    Half-up rounding in integer SQL: floor((200 * met + total) / (2 * total)).
    """
    active = QualificationCriterion.objects.filter(is_active=True)
    total = active.aggregate(total=Sum("weight"))["total"] or 0
    leads = Lead.objects.exclude(status=LeadStatus.CONVERTED)
    if not total:
        updated = leads.exclude(score=0).update(score=0)
    else:
        met = (
            QualificationAnswer.objects.filter(
                lead=OuterRef("pk"), is_met=True, criterion__is_active=True
            )
            .order_by()
            .values("lead")
            .annotate(met=Sum("criterion__weight"))
            .values("met")
        )
        met_weight = Coalesce(Subquery(met, output_field=IntegerField()), Value(0))
        updated = leads.update(score=(met_weight * 200 + total) / (2 * total))
    requalify_leads(LeadPolicy.current().qualification_threshold)
    return updated


def requalify_leads(threshold: int) -> None:
    """Open leads at or above ``threshold`` are qualified; qualified ones below it are not."""
    Lead.objects.filter(
        status__in=[LeadStatus.NEW, LeadStatus.CONTACTED], score__gte=threshold
    ).update(status=LeadStatus.QUALIFIED)
    Lead.objects.filter(status=LeadStatus.QUALIFIED, score__lt=threshold).update(
        status=Case(
            When(
                Q(first_touch_at__isnull=False) | Q(contact_attempts__gt=0),
                then=Value(LeadStatus.CONTACTED),
            ),
            default=Value(LeadStatus.NEW),
        )
    )


@transaction.atomic
def update_policy(
    *,
    by: User,
    qualification_threshold: int,
    max_contact_attempts: int,
    days_before_disqualification: int,
    assignment_rule: str,
    default_team: Team | None,
) -> LeadPolicy:
    """Change the lead rules. A new threshold requalifies open leads at once."""
    _require_admin(by)
    errors: dict[str, str] = {}
    if not 0 <= qualification_threshold <= 100:
        errors["qualification_threshold"] = _("Use a score from 0 to 100.")
    if not 1 <= max_contact_attempts <= MAX_ATTEMPTS:
        errors["max_contact_attempts"] = _("Use from 1 to %(limit)d attempts.") % {
            "limit": MAX_ATTEMPTS
        }
    if not 1 <= days_before_disqualification <= MAX_SILENT_DAYS:
        errors["days_before_disqualification"] = _("Use from 1 to %(limit)d days.") % {
            "limit": MAX_SILENT_DAYS
        }
    if assignment_rule not in AssignmentRule.values:
        errors["assignment_rule"] = _("Choose one of the listed rules.")
    elif assignment_rule == AssignmentRule.ROUND_ROBIN and default_team is None:
        errors["default_team"] = _("Round-robin needs the team whose reps take turns.")
    if errors:
        raise ValidationError(errors)
    policy = LeadPolicy.objects.select_for_update().get(pk=LeadPolicy.current().pk)
    threshold_changed = policy.qualification_threshold != qualification_threshold
    policy.qualification_threshold = qualification_threshold
    policy.max_contact_attempts = max_contact_attempts
    policy.days_before_disqualification = days_before_disqualification
    policy.assignment_rule = assignment_rule
    policy.default_team = default_team
    policy.save()
    if threshold_changed:
        requalify_leads(qualification_threshold)
    return policy


def _clean_criterion(question: str, help_text: str, weight: int) -> tuple[str, str]:
    errors: dict[str, str] = {}
    question = " ".join(question.split())
    help_text = " ".join(help_text.split())
    if not question:
        errors["question"] = _("Ask a question, e.g. “Is there a budget?”")
    elif len(question) > QUESTION_MAX_LENGTH:
        errors["question"] = _("Keep the question to %(limit)d characters.") % {
            "limit": QUESTION_MAX_LENGTH
        }
    if len(help_text) > GUIDANCE_MAX_LENGTH:
        errors["help_text"] = _("Keep the guidance to %(limit)d characters.") % {
            "limit": GUIDANCE_MAX_LENGTH
        }
    if not 1 <= weight <= 100:
        errors["weight"] = _("Use a weight from 1 to 100.")
    if errors:
        raise ValidationError(errors)
    return question, help_text


@transaction.atomic
def add_criterion(
    *, by: User, question: str, help_text: str, weight: int
) -> QualificationCriterion:
    """Add an active criterion at the end of the list; every lead is rescored."""
    _require_admin(by)
    question, help_text = _clean_criterion(question, help_text, weight)
    last = QualificationCriterion.objects.aggregate(last=Max("position"))["last"]
    criterion = QualificationCriterion.objects.create(
        question=question,
        help_text=help_text,
        weight=weight,
        position=0 if last is None else last + 1,
    )
    rescore_leads()
    return criterion


@transaction.atomic
def update_criterion(
    *, by: User, criterion_id: int, question: str, help_text: str, weight: int, is_active: bool
) -> QualificationCriterion:
    """Reword, reweigh, retire or restore a criterion. Answers are kept either way."""
    _require_admin(by)
    question, help_text = _clean_criterion(question, help_text, weight)
    criterion = QualificationCriterion.objects.select_for_update().get(pk=criterion_id)
    rescore = criterion.weight != weight or criterion.is_active != is_active
    criterion.question, criterion.help_text = question, help_text
    criterion.weight, criterion.is_active = weight, is_active
    criterion.save()
    if rescore:
        rescore_leads()
    return criterion


@transaction.atomic
def move_criterion(*, by: User, criterion_id: int, offset: int) -> list[QualificationCriterion]:
    """Move a criterion ``offset`` places up (negative) or down; returns the new order.

    Every criterion row is locked (in primary-key order) and the list renumbered 0..n, so
    two admins reordering at once cannot leave two criteria on one position.
    """
    _require_admin(by)
    list(QualificationCriterion.objects.select_for_update().order_by("pk"))
    ordered = list(QualificationCriterion.objects.order_by("position", "pk"))
    index = next((i for i, c in enumerate(ordered) if c.pk == criterion_id), None)
    if index is None:
        raise QualificationCriterion.DoesNotExist(f"No criterion {criterion_id}.")
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, criterion in enumerate(ordered):
        criterion.position = position
    QualificationCriterion.objects.bulk_update(ordered, ["position"])
    return ordered


@transaction.atomic
def add_territory(*, by: User, team: Team, country: str, region: str = "") -> Territory:
    """Send a country's (or one region's) new leads to ``team`` under the territory rule."""
    _require_admin(by)
    country = country.strip().upper()
    region = " ".join(region.split())
    territory = Territory(team=team, country=country, region=region)
    territory.full_clean(exclude=["team"])
    try:
        with transaction.atomic():
            territory.save()
    except IntegrityError:
        raise ValidationError(
            {"region": _("This country and region already belong to a team.")}
        ) from None
    return territory


@transaction.atomic
def delete_territory(*, by: User, territory_id: int) -> None:
    _require_admin(by)
    Territory.objects.filter(pk=territory_id).delete()
