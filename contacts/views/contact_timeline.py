"""What happened with a contact or company: deals, stage changes, touchpoints and tasks.

Deals, touchpoints and tasks are pipeline's models, and contacts must not import pipeline:
they are reached through the relations pipeline declares onto ``Contact`` and ``Company``
(``opportunities``, ``touchpoints``, ``tasks``), so that each is read with its own
``visible_to``. The cost is fixed whatever the history's length: one query for the deals,
then one each for touchpoints, tasks and stage changes, each cut at the timeline's length.
Those three look rows up by lists of ids (the record's contacts and deals) so that the
database answers them from the foreign-key indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import F, Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from contacts.models import Company, Contact

# The timeline starts with this many entries; "Show more" adds as many again, up to a cap.
TIMELINE_STEP = 25
TIMELINE_MAX = 500
# Deals listed on a page, newest first; the timeline covers these deals.
DEALS_SHOWN = 200
KIND_ICONS = {
    "call": "bi-telephone",
    "email": "bi-envelope",
    "meeting": "bi-people",
    "note": "bi-journal-text",
}


def related_model(model: type[Model], relation: str) -> Any:
    """The model another app relates to ``model`` under ``relation`` (its related_name)."""
    return model._meta.get_field(relation).related_model


def timeline_length(value: str | None) -> int:
    """The requested number of entries, rounded to whole steps and capped."""
    try:
        length = int(value or TIMELINE_STEP)
    except ValueError:
        return TIMELINE_STEP
    steps = max(1, -(-length // TIMELINE_STEP))
    return min(steps * TIMELINE_STEP, TIMELINE_MAX)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: ``kind`` is "deal", "stage_change", "touchpoint" or "task"."""

    kind: str
    at: dt.datetime
    record: Any
    icon: str


class Timeline:
    """Deals and history of one contact (``contact_ids`` of one) or of a company's people.

    ``deal_filter`` selects the deals (``{"contact": contact}`` or ``{"company": company}``);
    touchpoints and tasks count when they are about one of ``contact_ids`` or one of those
    deals.
    """

    def __init__(
        self, user: User, *, contact_ids: list[int], deal_filter: dict[str, Any], length: int
    ) -> None:
        self.user, self.contact_ids, self.length = user, contact_ids, length
        self.deal_filter = deal_filter
        self.now = timezone.now()

    @cached_property
    def deals(self) -> list[Any]:
        opportunity = related_model(Contact, "opportunities")
        return list(
            opportunity.objects.visible_to(self.user)
            .filter(**self.deal_filter)
            .select_related("stage", "pipeline", "owner", "contact")
            .order_by("-created_at", "-pk")[:DEALS_SHOWN]
        )

    def _about(self) -> Q:
        deal_ids = [deal.pk for deal in self.deals]
        return Q(contact_id__in=self.contact_ids) | Q(opportunity_id__in=deal_ids)

    def _first(self, queryset: QuerySet) -> list[Any]:
        return list(queryset[: self.length + 1])

    @cached_property
    def _sources(self) -> list[list[TimelineEntry]]:
        touchpoint = related_model(Contact, "touchpoints")
        task = related_model(Contact, "tasks")
        stage_change = related_model(related_model(Contact, "opportunities"), "stage_changes")
        touchpoints = self._first(
            touchpoint.objects.visible_to(self.user)
            .filter(self._about())
            .select_related("by", "contact", "opportunity")
            .order_by("-at", "-pk")
        )
        tasks = self._first(
            task.objects.visible_to(self.user)
            .filter(self._about())
            .select_related("assignee", "contact", "opportunity")
            # A done task sits where it was done; an open one where it is due.
            .annotate(timeline_at=Coalesce("done_at", "due_at"))
            .order_by(F("timeline_at").desc(), "-pk")
        )
        changes: list[Any] = []
        if self.deals:
            changes = self._first(
                stage_change.objects.visible_to(self.user)
                .filter(opportunity_id__in=[deal.pk for deal in self.deals])
                .select_related("to_stage", "from_stage", "by", "opportunity")
                .order_by("-at", "-pk")
            )
        for item in tasks:
            item.is_overdue = item.done_at is None and item.due_at < self.now
        return [
            [
                TimelineEntry("deal", deal.created_at, deal, "bi-briefcase")
                for deal in self.deals[: self.length + 1]
            ],
            [
                TimelineEntry("stage_change", change.at, change, "bi-signpost-split")
                for change in changes
                # A deal's first entry into a stage is its creation, shown as the deal itself.
                if change.from_stage_id is not None
            ],
            [
                TimelineEntry(
                    "touchpoint", item.at, item, KIND_ICONS.get(item.kind, "bi-chat-left-text")
                )
                for item in touchpoints
            ],
            [
                TimelineEntry(
                    "task",
                    item.timeline_at,
                    item,
                    "bi-check2-square" if item.done_at else "bi-alarm",
                )
                for item in tasks
            ],
        ]

    @cached_property
    def _merged(self) -> list[TimelineEntry]:
        entries = [entry for source in self._sources for entry in source]
        entries.sort(key=lambda entry: entry.at, reverse=True)
        return entries

    @property
    def entries(self) -> list[TimelineEntry]:
        return self._merged[: self.length]

    @property
    def has_more(self) -> bool:
        return len(self._merged) > self.length and self.length < TIMELINE_MAX

    @property
    def next_length(self) -> int:
        return min(self.length + TIMELINE_STEP, TIMELINE_MAX)

    @cached_property
    def open_deals(self) -> list[Any]:
        return [deal for deal in self.deals if deal.status == "open"]


def contact_timeline(user: User, contact: Contact, length: int) -> Timeline:
    return Timeline(user, contact_ids=[contact.pk], deal_filter={"contact": contact}, length=length)


def company_timeline(user: User, company: Company, contact_ids: list[int], length: int) -> Timeline:
    return Timeline(user, contact_ids=contact_ids, deal_filter={"company": company}, length=length)
