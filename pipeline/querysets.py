"""Reads for the pipeline app: every one starts from ``visible_to(user)``."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q

from accounts.visibility import VisibleQuerySet, owner_visible_q

if TYPE_CHECKING:
    from accounts.models import User


class PipelineQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True)


class OpportunityQuerySet(VisibleQuerySet):
    def open(self) -> Self:
        return self.filter(status="open")

    def won(self) -> Self:
        return self.filter(status="won")

    def lost(self) -> Self:
        return self.filter(status="lost")

    def stale(self) -> Self:
        return self.filter(stale_since__isnull=False)

    def closing_between(self, start: date, end: date) -> Self:
        return self.filter(expected_close_date__range=(start, end))


def _subject_visible_q(user: User) -> Q | None:
    """Touchpoints and tasks are visible when the deal, lead or contact they are about is."""
    condition = Q()
    for subject in ("opportunity", "lead", "contact"):
        part = owner_visible_q(user, f"{subject}__owner")
        if part is None:
            return None
        condition |= part
    return condition


class TouchpointQuerySet(VisibleQuerySet):
    owner_path = "by"

    def visibility_q(self, user: User) -> Q | None:
        subject = _subject_visible_q(user)
        return None if subject is None else subject | Q(by=user)


class TaskQuerySet(VisibleQuerySet):
    owner_path = "assignee"

    def visibility_q(self, user: User) -> Q | None:
        subject = _subject_visible_q(user)
        own = owner_visible_q(user, "assignee")
        return None if subject is None or own is None else subject | own

    def open(self) -> Self:
        return self.filter(done_at__isnull=True)

    def overdue(self) -> Self:
        return self.filter(done_at__isnull=True, overdue_since__isnull=False)


class StageChangeQuerySet(VisibleQuerySet):
    owner_path = "opportunity__owner"
