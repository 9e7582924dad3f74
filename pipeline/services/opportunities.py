"""Creating and editing a deal: the one way deals come into being, for pages, the API,
imports, the admin and lead conversion alike, and the one way their details change.

A new deal enters an open stage of an active pipeline (the first one unless told otherwise)
once it meets that stage's entry criteria, as a board move into it would; it sits at the top
of that column, and its history starts with a StageChange from no stage, so
time-in-stage and conversion reports count it from the moment it was created.

An edit changes a deal's details (title, company, contact, owner, value, ...). Its stage,
status and position change only through ``move_opportunity``: those are the board's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.assignment import apply_owner, may_assign_to
from accounts.models import User
from contacts.models import Company, Contact, Lead
from contacts.services.people import reject_unknown_fields
from core.currencies import INVALID_MESSAGE as CURRENCY_MESSAGE
from core.currencies import is_currency, normalise_currency
from core.custom_fields.values import error_key, merged_values
from pipeline.criteria import missing_entry_fields, required_custom_fields
from pipeline.models import (
    ForecastCategory,
    LineItem,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
    board_order,
)
from pipeline.positions import first_position, lock_columns, position_between
from pipeline.services.buying_team import follow_primary_contact
from pipeline.services.claims import claim_deal, lock_editable_deal
from pipeline.services.custom_fields import clean_deal_values
from pipeline.services.history import deal_snapshot, record_deal_changes
from pipeline.services.moves import EntryCriteriaNotMet
from pipeline.services.reporting import deals_added
from pipeline.stage_entry import forecast_category_problem, stage_entry_fields

TITLE_MAX_LENGTH = Opportunity._meta.get_field("title").max_length or 200


def first_open_stage(pipeline: Pipeline) -> Stage | None:
    """The leftmost open column of the pipeline's board: where new deals start."""
    stages = [stage for stage in Stage.objects.in_use().filter(pipeline=pipeline) if stage.is_open]
    ordered = board_order(stages)
    return ordered[0] if ordered else None


def top_position(stage: Stage) -> int:
    """A position above every open card of the column, hidden ones included.

    The caller holds the column's lock (``lock_columns``) until it commits the new card.
    """
    position = position_between(None, first_position(stage))
    assert position is not None  # with nothing above a card there is always room
    return position


def _clean_title(title: str, errors: dict[str, str]) -> str:
    """The title with runs of white space made one space; an error if blank or too long."""
    title = " ".join(title.split())
    if not title:
        errors["title"] = _("Give the deal a title.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("Keep the title to %(limit)d characters.") % {"limit": TITLE_MAX_LENGTH}
    return title


def _clean_currency(currency: object, errors: dict[str, str]) -> str:
    code = normalise_currency(currency)
    if not is_currency(code):
        errors["currency"] = CURRENCY_MESSAGE % {"value": currency}
    return code


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

    Parts that are None are not checked (a form reports them missing itself; a deal without
    a company takes its contact's). Shared by ``create_opportunity`` and forms that want the
    same messages beside their fields.
    """
    errors: dict[str, str] = {}
    _clean_title(title, errors)
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
    if company is not None and not Company.objects.visible_to(by).filter(pk=company.pk).exists():
        errors["company"] = _("Choose a company you can see.")
    if contact is not None:
        if not Contact.objects.visible_to(by).filter(pk=contact.pk).exists():
            errors["contact"] = _("Choose a contact you can see.")
        elif company is not None and contact.company_id != company.pk:
            errors["contact"] = _("Choose a contact of this deal's company.")
    return errors


def _clean_forecast_category(category: str, errors: dict[str, str]) -> str:
    if category not in ForecastCategory.values:
        errors["forecast_category"] = _("Choose a forecast category.")
        return category
    problem = forecast_category_problem(OpportunityStatus.OPEN, category)
    if problem is not None:
        errors["forecast_category"] = problem
    return category


@transaction.atomic
def create_opportunity(
    *,
    by: User,
    title: str,
    pipeline: Pipeline,
    value: Decimal,
    currency: str,
    company: Company | None = None,
    contact: Contact | None = None,
    stage: Stage | None = None,
    owner: User | None = None,
    expected_close_date: dt.date | None = None,
    forecast_category: str = ForecastCategory.PIPELINE,
    checklist_done: Sequence[str] = (),
    lead: Lead | None = None,
    external_id: str = "",
    custom_fields: Mapping[str, object] | None = None,
) -> Opportunity:
    """Create an open deal with a company and/or a contact ``by`` can see, owned by ``owner``
    (default ``by``), in ``stage`` (default: the pipeline's first open stage).

    Without a company the deal is with the contact's company. The owner must be someone
    ``by`` may give work to (themselves; a manager's team; anyone for an admin), else
    PermissionDenied. Bad input raises ValidationError naming the field: neither company nor
    contact, an inactive pipeline, a stage that is closed, archived or of another pipeline,
    a contact of another company, a negative value, a currency that is not an ISO code, a
    forecast category an open deal cannot be in, a custom value that does not fit its
    field, or none for a custom field the stage requires (each named
    ``custom_fields.<key>``). A stage whose entry criteria the new deal
    does not meet raises EntryCriteriaNotMet, as a move into it would. Nothing is written
    on any refusal.
    """
    errors = check_new_opportunity(
        by=by, title=title, company=company, pipeline=pipeline, stage=stage, contact=contact
    )
    if company is None and contact is None:
        errors["company"] = _("A deal needs a company or a contact; choose at least one.")
    amount = _clean_value(value, errors)
    currency = _clean_currency(currency, errors)
    forecast_category = _clean_forecast_category(forecast_category, errors)
    values = _clean_custom_values(custom_fields, errors)
    if errors:
        raise ValidationError(errors)
    if company is None and contact is not None:
        company = contact.company
    stage = stage or first_open_stage(pipeline)
    assert stage is not None  # checked above
    _check_required_custom_values(values, stage)
    owner = by if owner is None else owner
    if not may_assign_to(by, owner):
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
        value=amount,
        currency=currency,
        expected_close_date=expected_close_date,
        forecast_category=forecast_category,
        # Ticked on the create form, for a stage whose entry checklist asks for them.
        checklist_done=sorted({item for item in checklist_done if item}),
        created_by=by,
        updated_by=by,
        external_id=external_id.strip(),
        custom_fields=values,
        created_at=now,
    )
    # The required custom fields were checked above, each named as a field error.
    missing = missing_entry_fields(opportunity, stage)
    if missing:
        raise EntryCriteriaNotMet(stage, missing)
    for name, entered in stage_entry_fields(opportunity, stage, at=now).items():
        setattr(opportunity, name, entered)
    lock_columns([stage.pk])
    opportunity.position = top_position(stage)
    opportunity.full_clean(exclude=["company", "contact", "lead", "owner", "pipeline", "stage"])
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, by=by, at=now
    )
    deals_added([opportunity.pk])
    if contact is not None:
        follow_primary_contact(opportunity=opportunity, by=by, at=now, record=False)
    return opportunity


def _clean_custom_values(
    raw: Mapping[str, object] | None, errors: dict[str, str]
) -> dict[str, object]:
    try:
        return merged_values({}, clean_deal_values(raw or {}))
    except ValidationError as error:
        errors.update({name: messages[0] for name, messages in error.message_dict.items()})
        return {}


def _check_required_custom_values(values: Mapping[str, object], stage: Stage) -> None:
    """A deal is not created past the stage from which a custom field is required."""
    missing = {
        definition.key: definition.label for definition in required_custom_fields(values, stage)
    }
    if missing:
        raise ValidationError(
            {
                error_key(key): _("%(label)s is required in %(stage)s.")
                % {"label": label, "stage": stage.name}
                for key, label in missing.items()
            }
        )


# What an edit may change. Stage, status, position, the lost reason and the closing time
# are the board's (``move_opportunity``); the pipeline and the lead a deal came from are
# fixed when it is created.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "company",
        "contact",
        "owner",
        "value",
        "currency",
        "expected_close_date",
        "forecast_category",
        "checklist_done",
        "external_id",
    }
)
# Relations are checked against what the actor may see, not by ``full_clean``.
_CHECKED_FIELDS = ("company", "contact", "owner")


def _visible(model: type[Company] | type[Contact], by: User, value: object) -> Any:
    pk = value.pk if isinstance(value, model) else value
    if not isinstance(pk, int):
        return None
    return model.objects.visible_to(by).filter(pk=pk).first()


def _check_external_id(opportunity: Opportunity) -> None:
    taken = (
        Opportunity.objects.exclude(pk=opportunity.pk)
        .filter(external_id=opportunity.external_id)
        .exists()
    )
    if opportunity.external_id and taken:
        raise ValidationError({"external_id": _("Another deal already has this external id.")})


def _apply_edit(by: User, opportunity: Opportunity, fields: Mapping[str, object]) -> None:
    """Check ``fields`` and set them on the in-memory deal; nothing is written."""
    reject_unknown_fields(fields, EDITABLE_FIELDS)
    errors: dict[str, str] = {}
    if "title" in fields:
        title = fields["title"]
        if isinstance(title, str):
            opportunity.title = _clean_title(title, errors)
        else:
            errors["title"] = _("Give the deal a title.")
    if "value" in fields:
        opportunity.value = _clean_value(fields["value"], errors)
    if "currency" in fields:
        opportunity.currency = _clean_currency(fields["currency"], errors)
    if "external_id" in fields:
        external_id = fields["external_id"] or ""
        if isinstance(external_id, str):
            opportunity.external_id = external_id.strip()
        else:
            errors["external_id"] = _("Enter text.")
    if "checklist_done" in fields:
        items = fields["checklist_done"] or []
        if isinstance(items, list | tuple) and all(isinstance(item, str) for item in items):
            opportunity.checklist_done = sorted(set(items))
        else:
            errors["checklist_done"] = _("Give the checklist items done as a list of texts.")
    for name in ("expected_close_date", "forecast_category"):
        if name in fields:
            setattr(opportunity, name, fields[name])
    if fields.get("forecast_category") in ForecastCategory.values:
        # An unknown category is the model's to refuse (full_clean below).
        problem = forecast_category_problem(opportunity.status, opportunity.forecast_category)
        if problem is not None:
            errors["forecast_category"] = problem
    if "company" in fields:
        company = _visible(Company, by, fields["company"])
        if company is None:
            errors["company"] = _("Choose a company you can see.")
        else:
            opportunity.company = company
    if "contact" in fields:
        if fields["contact"] is None:
            opportunity.contact = None
        else:
            contact = _visible(Contact, by, fields["contact"])
            if contact is None:
                errors["contact"] = _("Choose a contact of this deal's company.")
            else:
                opportunity.contact = contact
    # A new company leaves a contact of the old one behind: the deal must not point at both.
    relations_changed = "company" in fields or "contact" in fields
    if (
        relations_changed
        and not errors.keys() & {"company", "contact"}
        and opportunity.contact is not None
        and opportunity.contact.company_id != opportunity.company_id
    ):
        errors["contact"] = _("Choose a contact of this deal's company.")
    try:
        apply_owner(by, opportunity, fields)
    except ValidationError as error:
        errors.update({name: messages[0] for name, messages in error.message_dict.items()})
    # The model's own field rules, for the fields being changed and not refused already: a
    # value stored before a rule existed does not block an edit of something else.
    unchecked = [
        field.name
        for field in Opportunity._meta.fields
        if field.name not in fields or field.name in _CHECKED_FIELDS or field.name in errors
    ]
    try:
        opportunity.full_clean(exclude=unchecked, validate_constraints=False)
    except ValidationError as error:
        errors.update({name: messages[0] for name, messages in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    _check_external_id(opportunity)


def _check_priced_by_line_items(opportunity: Opportunity, before: Mapping[str, object]) -> None:
    """A deal with line items takes its value from them, and their prices are in its currency:
    an edit may repeat those two, not change them."""
    changed = [
        name
        for name in ("value", "currency")
        if name in before and before[name] != getattr(opportunity, name)
    ]
    if changed and LineItem.objects.filter(opportunity_id=opportunity.pk).exists():
        messages = {
            "value": _("This deal's value is the total of its products; change those instead."),
            "currency": _("This deal's products are priced in its currency; remove them first."),
        }
        raise ValidationError({name: messages[name] for name in changed})


@transaction.atomic
def update_opportunity(
    *, by: User, opportunity_id: int, version: int | None, fields: Mapping[str, object]
) -> Opportunity:
    """Change the given details of a deal ``by`` may edit; the others stay as they are.

    ``fields`` holds names from ``EDITABLE_FIELDS``; ``company``, ``contact`` and ``owner``
    may be instances or primary keys. The company and contact must be visible to ``by`` and
    belong together; a new owner must be someone ``by`` may give records to. Raises
    Opportunity.DoesNotExist when the deal is not visible (404), PermissionDenied when it is
    not ``by``'s to change (403), ValidationError naming each bad field (400), and
    MoveConflict when ``version`` is given and no longer the deal's (409).

    Every edit with fields, even one that repeats the current values, writes and bumps
    ``version``, so a board move begun before it loses with a 409 instead of silently
    undoing it. Each field whose value changed gets a DealChange row, in this transaction.
    An edit with no fields writes nothing.
    """
    # Locked, so the checks below hold for the row the UPDATE writes.
    opportunity = lock_editable_deal(by=by, opportunity_id=opportunity_id, version=version)
    if not fields:
        return opportunity
    before = deal_snapshot(opportunity, fields)
    _apply_edit(by, opportunity, fields)
    _check_priced_by_line_items(opportunity, before)
    # By column (``owner_id``), so an unchanged owner or company is not loaded to be written.
    columns = {field.name: field.attname for field in Opportunity._meta.concrete_fields}
    changes = {columns[name]: getattr(opportunity, columns[name]) for name in fields}
    try:
        with transaction.atomic():
            claim_deal(by=by, opportunity=opportunity, version=version, columns=changes)
    except IntegrityError:
        # Another request took the same external id after our check: say which field.
        _check_external_id(opportunity)
        raise
    record_deal_changes(
        opportunity=opportunity,
        by=by,
        before=before,
        after=deal_snapshot(opportunity, fields),
        at=opportunity.updated_at,
    )
    previous_contact = before.get("contact")
    if "contact" in fields and getattr(previous_contact, "pk", None) != opportunity.contact_id:
        follow_primary_contact(opportunity=opportunity, by=by, at=opportunity.updated_at)
    opportunity.refresh_from_db()
    return opportunity
