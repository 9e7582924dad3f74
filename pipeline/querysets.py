"""Reads for the pipeline app: every one starts from ``visible_to(user)``."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.visibility import VisibleQuerySet, owner_visible_q

if TYPE_CHECKING:
    from accounts.models import User


class PipelineQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(is_active=True)


class StageQuerySet(models.QuerySet):
    def in_use(self) -> Self:
        """Stages deals can be in: archived stages keep their history but take no deals."""
        return self.filter(archived_at__isnull=True)


class OpportunityQuerySet(VisibleQuerySet):
    def open(self) -> Self:
        return self.filter(status="open")

    def won(self) -> Self:
        return self.filter(status="won")

    def lost(self) -> Self:
        return self.filter(status="lost")

    def stale(self) -> Self:
        return self.filter(stale_since__isnull=False)

    def with_overdue_task(self) -> Self:
        """Deals with an open task the nightly check flagged overdue (EXISTS: once each)."""
        tasks = self.model._meta.get_field("tasks").related_model
        return self.filter(
            Exists(
                tasks.objects.filter(
                    opportunity=OuterRef("pk"), done_at__isnull=True, overdue_since__isnull=False
                )
            )
        )

    def closing_between(self, start: date, end: date) -> Self:
        return self.filter(expected_close_date__range=(start, end))

    def with_product(self, product_id: int) -> Self:
        """Deals with a line item of the product: EXISTS, so a deal with it twice is one row."""
        line_items = self.model._meta.get_field("line_items").related_model
        return self.filter(
            Exists(line_items.objects.filter(opportunity=OuterRef("pk"), product_id=product_id))
        )


def _subject_visible_q(user: User) -> Q | None:
    """Rows about a deal, lead, contact or company that ``user`` may see; None means every row.

    A company's own tasks and touchpoints are seen by whoever sees the company: its owner's
    visibility, as for the company itself."""
    condition = Q()
    for subject in ("opportunity", "lead", "contact", "company"):
        part = owner_visible_q(user, f"{subject}__owner")
        if part is None:
            return None
        condition |= part
    if user.is_manager:
        # Managers see the unassigned lead queue, and so what happened on those leads.
        # lead__isnull=False keeps the outer join from matching rows about no lead at all.
        condition |= Q(lead__isnull=False, lead__owner__isnull=True)
    return condition


class ActivityQuerySet(VisibleQuerySet):
    """Touchpoints and tasks: visible through what they are about, or through their owner.

    The owner (author of a touchpoint, assignee of a task) also decides who may edit, so
    everything a user may edit is visible to them.
    """

    def visibility_q(self, user: User) -> Q | None:
        subject = _subject_visible_q(user)
        owner = owner_visible_q(user, self.owner_path)
        return None if subject is None or owner is None else subject | owner


class TouchpointQuerySet(ActivityQuerySet):
    owner_path = "by"


class TaskQuerySet(ActivityQuerySet):
    owner_path = "assignee"

    def open(self) -> Self:
        return self.filter(done_at__isnull=True)

    def overdue(self) -> Self:
        return self.filter(done_at__isnull=True, overdue_since__isnull=False)

    def assigned_visible_to(self, user: User) -> Self:
        """The tasks ``visible_to`` shows through their assignee alone: a part of what it
        shows, and all of it for tasks assigned to people ``user`` sees. A per-person
        count reads this, so that it needs no join to what each task is about."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        condition = owner_visible_q(user, self.owner_path)
        return self.all() if condition is None else self.filter(condition)


class StageChangeQuerySet(VisibleQuerySet):
    owner_path = "opportunity__owner"


class DealChangeQuerySet(VisibleQuerySet):
    owner_path = "opportunity__owner"


class DealContactQuerySet(VisibleQuerySet):
    owner_path = "opportunity__owner"


class LineItemQuerySet(VisibleQuerySet):
    owner_path = "opportunity__owner"


class ProductQuerySet(models.QuerySet):
    """The catalogue: every signed-in user reads it; only admins change it (services)."""

    def active(self) -> Self:
        return self.filter(is_active=True)

    def editable_by(self, user: User) -> Self:
        """Admins change the catalogue (the import asks this); nobody else does."""
        return self.all() if user.is_admin else self.none()
