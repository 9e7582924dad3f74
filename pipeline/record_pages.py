"""What pipeline adds to the contacts app's pages: deals and their history, activity, quick
logging (leads, contacts and companies), the lead's conversion, and the lists' "open deals"
filter.

Contacts cannot know pipeline, so ``register()`` (run by ``PipelineConfig.ready()``) fills
contacts' extension points (``contacts/extensions.py``). Everything is read through
``visible_to(page.user)``. The cost is fixed whatever the history's length: a contact's or
company's page pays one query for its deals (the deals card and the timeline share it),
then one each for touchpoints, tasks and stage changes, each cut at the timeline's length.
Those three look rows up by lists of ids (the record's contacts and deals) so that the
database answers them from the foreign-key indexes. A lead's timeline pays one query each
for its touchpoints, tasks and deals.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.visibility import owner_visible_q
from contacts.extensions import (
    ListFilter,
    Panel,
    RecordPage,
    Slot,
    TimelineEntry,
    register_list_filter,
    register_panel,
    register_timeline_source,
)
from contacts.models import Company, Contact, Lead
from pipeline.forms.activity import KIND_ICONS
from pipeline.models import Opportunity, OpportunityStatus, StageChange, Task, Touchpoint
from pipeline.quick_log import quick_log_context

# Deals listed on a contact's or company's page, newest first; its timeline covers these.
DEALS_SHOWN = 200
RECORD_ENTRIES = "pipeline/_record_timeline.html"
LEAD_ENTRIES = "pipeline/_lead_timeline.html"
OPEN_DEAL_CHOICES = [
    ("", _("With or without open deals")),
    ("yes", _("With open deals")),
    ("no", _("Without open deals")),
]


# --- contact and company pages ------------------------------------------------------------


def record_deals(page: RecordPage) -> list[Opportunity]:
    """The contact's or company's deals the user can see, newest first, read once a page."""

    def read() -> list[Opportunity]:
        subject = "company" if isinstance(page.record, Company) else "contact"
        return list(
            Opportunity.objects.visible_to(page.user)
            .filter(**{subject: page.record})
            .select_related("stage", "pipeline", "owner", "contact")
            .order_by("-created_at", "-pk")[:DEALS_SHOWN]
        )

    return page.shared("pipeline.deals", read)


def record_timeline(page: RecordPage, limit: int) -> list[TimelineEntry]:
    """Deals, their stage changes, touchpoints and tasks about the record's people or deals,
    and on a company's page those about the company itself."""
    user, now = page.user, timezone.now()
    deals = record_deals(page)
    deal_ids = [deal.pk for deal in deals]
    about = Q(contact_id__in=page.contact_ids) | Q(opportunity_id__in=deal_ids)
    if isinstance(page.record, Company):
        about |= Q(company_id=page.record.pk)
    touchpoints = list(
        Touchpoint.objects.visible_to(user)
        .filter(about)
        .select_related("by", "contact", "opportunity")
        .order_by("-at", "-pk")[:limit]
    )
    tasks = list(
        Task.objects.visible_to(user)
        .filter(about)
        .select_related("assignee", "contact", "opportunity")
        # A done task sits where it was done; an open one where it is due.
        .annotate(timeline_at=Coalesce("done_at", "due_at"))
        .order_by(F("timeline_at").desc(), "-pk")[:limit]
    )
    changes: list[StageChange] = []
    if deal_ids:
        changes = list(
            StageChange.objects.visible_to(user)
            .filter(opportunity_id__in=deal_ids)
            .select_related("to_stage", "from_stage", "by", "opportunity")
            .order_by("-at", "-pk")[:limit]
        )
    for task in tasks:
        task.is_overdue = task.done_at is None and task.due_at < now
    return [
        *(
            TimelineEntry("deal", deal.created_at, f"{RECORD_ENTRIES}#deal", deal, "bi-briefcase")
            for deal in deals[:limit]
        ),
        *(
            TimelineEntry(
                "stage_change",
                change.at,
                f"{RECORD_ENTRIES}#stage-change",
                change,
                "bi-signpost-split",
            )
            for change in changes
            # A deal's first entry into a stage is its creation, shown as the deal itself.
            if change.from_stage_id is not None
        ),
        *(
            TimelineEntry(
                "touchpoint",
                touchpoint.at,
                f"{RECORD_ENTRIES}#touchpoint",
                touchpoint,
                KIND_ICONS.get(touchpoint.kind, "bi-chat-left-text"),
            )
            for touchpoint in touchpoints
        ),
        *(
            TimelineEntry(
                "task",
                task.timeline_at,
                f"{RECORD_ENTRIES}#task",
                task,
                "bi-check2-square" if task.done_at else "bi-alarm",
            )
            for task in tasks
        ),
    ]


def deals_card(page: RecordPage) -> dict[str, Any]:
    return {"deals": record_deals(page), "show_contact": isinstance(page.record, Company)}


# --- lead page ------------------------------------------------------------------------------


def lead_timeline(page: RecordPage, limit: int) -> list[TimelineEntry]:
    """The lead's touchpoints, tasks (marked with whether the user may complete them), deals."""
    lead, user, now = page.record, page.user, timezone.now()
    touchpoints = (
        Touchpoint.objects.visible_to(user)
        .filter(lead=lead)
        .select_related("by")
        .order_by("-at", "-pk")[:limit]
    )
    editable = Task.objects.editability_q(user)
    can_change = (
        Value(True)
        if editable is None
        else Case(When(editable, then=Value(True)), default=Value(False))
    )
    tasks = (
        Task.objects.visible_to(user)
        .filter(lead=lead)
        .select_related("assignee")
        .annotate(can_change=Coalesce(can_change, Value(False), output_field=BooleanField()))
        .order_by("-due_at", "-pk")[:limit]
    )
    deals = Opportunity.objects.visible_to(user).filter(lead=lead).select_related("stage", "owner")
    entries = [
        TimelineEntry("touchpoint", touchpoint.at, f"{LEAD_ENTRIES}#touchpoint", touchpoint)
        for touchpoint in touchpoints
    ]
    for task in tasks:
        task.is_overdue = task.done_at is None and task.due_at < now
        entries.append(
            TimelineEntry(
                "task",
                task.done_at or task.due_at,
                f"{LEAD_ENTRIES}#task",
                task,
                modifier="is-overdue" if task.is_overdue else "",
            )
        )
    entries += [
        TimelineEntry("deal", deal.created_at, f"{LEAD_ENTRIES}#deal", deal)
        for deal in deals[:limit]
    ]
    return entries


def quick_log(page: RecordPage) -> dict[str, Any]:
    subject = {Lead: "lead", Contact: "contact", Company: "company"}[type(page.record)]
    return quick_log_context(page.request, subject=subject, subject_id=page.record.pk)


# --- the contact and company lists -----------------------------------------------------------


def open_deals_field() -> forms.Field:
    return forms.ChoiceField(label=_("Open deals"), required=False, choices=OPEN_DEAL_CHOICES)


def filter_by_open_deals(queryset: QuerySet, user: User, choice: str) -> QuerySet:
    """Records with ("yes") or without ("no") an open deal ``user`` can see; a semi-join,
    so a record with many deals is still listed once."""
    having = queryset.model._default_manager.filter(opportunities__status=OpportunityStatus.OPEN)
    condition = owner_visible_q(user, "opportunities__owner")
    if condition is not None:
        having = having.filter(condition)
    subquery = {"pk__in": having.values("pk")}
    return queryset.filter(**subquery) if choice == "yes" else queryset.exclude(**subquery)


def new_deal_action(page: RecordPage) -> dict[str, Any]:
    """The new-deal page filled in with the company, or with the contact and its company."""
    subject = "company" if isinstance(page.record, Company) else "contact"
    return {"new_deal_query": f"{subject}={page.record.pk}"}


def register() -> None:
    """Fill contacts' extension points; ``PipelineConfig.ready()`` calls this."""
    register_timeline_source(Contact, Company, source=record_timeline)
    register_panel(
        Contact,
        Company,
        slot=Slot.SIDE,
        panel=Panel(
            name="deals",
            title=_("Deals"),
            template="pipeline/_record_deals.html",
            context=deals_card,
        ),
    )
    # A company's own calls and follow-ups (the switchboard, a tender office) belong to it,
    # not to one of its people: other CRMs keep such activities on the organization.
    register_panel(
        Contact,
        Company,
        slot=Slot.MAIN,
        panel=Panel(
            name="log",
            title=_("Log a touchpoint"),
            template="pipeline/_quick_log.html",
            context=quick_log,
        ),
    )
    register_panel(
        Contact,
        Company,
        slot=Slot.ACTIONS,
        panel=Panel(
            name="new-deal",
            template="pipeline/_record_new_deal_action.html",
            context=new_deal_action,
        ),
    )
    register_timeline_source(Lead, source=lead_timeline)
    register_panel(
        Lead,
        slot=Slot.MAIN,
        panel=Panel(
            name="log",
            title=_("Log what happened"),
            template="pipeline/_quick_log.html",
            context=quick_log,
        ),
    )
    register_panel(
        Lead,
        slot=Slot.ACTIONS,
        panel=Panel(name="convert", template="pipeline/_lead_convert_action.html"),
    )
    register_list_filter(
        Contact,
        Company,
        list_filter=ListFilter(
            name="open_deals", field=open_deals_field, apply=filter_by_open_deals
        ),
    )
