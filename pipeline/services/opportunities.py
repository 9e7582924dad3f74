"""Creating a deal: the one way deals come into being, for pages, the API, imports, the admin
and lead conversion alike.

A new deal enters an open stage of an active pipeline (the first one unless told otherwise),
sits at the top of that column, and its history starts with a StageChange from no stage, so
time-in-stage and conversion reports count it from the moment it was created.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contacts.models import Company, Contact, Lead
from pipeline.models import (
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    board_order,
)
from pipeline.positions import position_between
from pipeline.services.activity import assignable_users

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
TITLE_MAX_LENGTH = Opportunity._meta.get_field("title").max_length or 200


def first_open_stage(pipeline: Pipeline) -> Stage | None:
    """The leftmost open column of the pipeline's board: where new deals start."""
    stages = [stage for stage in Stage.objects.in_use().filter(pipeline=pipeline) if stage.is_open]
    ordered = board_order(stages)
    return ordered[0] if ordered else None


def top_position(stage: Stage) -> int:
    """A position above every open card of the column."""
    first = (
        Opportunity.objects.open()
        .filter(stage=stage)
        .order_by("position")
        .values_list("position", flat=True)
        .first()
    )
    position = position_between(None, first)
    assert position is not None  # with nothing above a card there is always room
    return position


def _clean_value(value: object, errors: dict[str, str]) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["value"] = _("Enter an amount, e.g. 12500.00.")
        return Decimal(0)
    if not amount.is_finite():
        errors["value"] = _("Enter an amount, e.g. 12500.00.")
    elif amount < 0:
        errors["value"] = _("Value cannot be negative.")
    return amount


def check_new_opportunity(
    *,
    by: User,
    title: str,
    company: Company | None,
    pipeline: Pipeline | None,
    stage: Stage | None = None,
    contact: Contact | None = None,
) -> dict[str, str]:
    """What is wrong with where a new deal would go, by field; empty when nothing is.

    Parts that are None are not checked (a form reports them missing itself). Shared by
    ``create_opportunity`` and forms that want the same messages beside their fields.
    """
    errors: dict[str, str] = {}
    title = " ".join(title.split())
    if not title:
        errors["title"] = _("Give the deal a title.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("Keep the title to %(limit)d characters.") % {"limit": TITLE_MAX_LENGTH}
    if pipeline is not None:
        if not pipeline.is_active:
            errors["pipeline"] = _("This pipeline is inactive; choose another.")
        elif stage is None and first_open_stage(pipeline) is None:
            errors["pipeline"] = _("This pipeline has no open stage to start a deal in.")
    if stage is not None:
        if stage.archived_at is not None or (
            pipeline is not None and stage.pipeline_id != pipeline.pk
        ):
            errors["stage"] = _("Choose a stage of this pipeline.")
        elif stage.kind != StageKind.OPEN:
            errors["stage"] = _("A new deal starts in an open stage.")
    if company is not None:
        if not Company.objects.visible_to(by).filter(pk=company.pk).exists():
            errors["company"] = _("Choose a company you can see.")
        if contact is not None and contact.company_id != company.pk:
            errors["contact"] = _("Choose a contact of this deal's company.")
    return errors


@transaction.atomic
def create_opportunity(
    *,
    by: User,
    title: str,
    company: Company,
    pipeline: Pipeline,
    value: Decimal,
    currency: str,
    stage: Stage | None = None,
    owner: User | None = None,
    expected_close_date: dt.date | None = None,
    contact: Contact | None = None,
    lead: Lead | None = None,
    external_id: str = "",
) -> Opportunity:
    """Create an open deal for a company ``by`` can see, owned by ``owner`` (default ``by``).

    The owner must be someone ``by`` may give work to (themselves; a manager's team; anyone
    for an admin), else PermissionDenied. Bad input raises ValidationError naming the field:
    an inactive pipeline, a stage that is closed, archived or of another pipeline, a contact
    of another company, a negative value, a currency that is not an ISO code.
    """
    errors = check_new_opportunity(
        by=by, title=title, company=company, pipeline=pipeline, stage=stage, contact=contact
    )
    amount = _clean_value(value, errors)
    currency = currency.strip().upper()
    if not CURRENCY_PATTERN.match(currency):
        errors["currency"] = _("Use a three-letter ISO currency code, e.g. EUR.")
    if errors:
        raise ValidationError(errors)
    stage = stage or first_open_stage(pipeline)
    assert stage is not None  # checked above
    owner = by if owner is None else owner
    if owner.pk != by.pk and not assignable_users(by).filter(pk=owner.pk).exists():
        raise PermissionDenied(_("You may not give deals to %(user)s.") % {"user": owner})
    if not owner.is_active:
        raise ValidationError({"owner": _("%(user)s is no longer active.") % {"user": owner}})

    now = timezone.now()
    opportunity = Opportunity(
        title=" ".join(title.split()),
        company=company,
        contact=contact,
        lead=lead,
        owner=owner,
        pipeline=pipeline,
        stage=stage,
        value=amount,
        currency=currency,
        expected_close_date=expected_close_date,
        position=top_position(stage),
        stage_entered_at=now,
        status=OpportunityStatus.OPEN,
        created_by=by,
        updated_by=by,
        external_id=external_id.strip(),
        created_at=now,
    )
    opportunity.full_clean(exclude=["company", "contact", "lead", "owner", "pipeline", "stage"])
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, by=by, at=now
    )
    return opportunity
