"""My day: what the signed-in rep should do today, first things first.

The order, and why:

1. Overdue tasks, oldest first: each one is a promise already broken, and the oldest has
   cost the most goodwill.
2. Tasks due later today, by time: the day's appointments in the order they come.
3. New leads nobody has contacted yet, oldest first: a lead's chance falls with every hour
   it waits (speed to lead), so they come before maintenance work.
4. Stale deals, most expected revenue first (value times stage probability), then the longest
   stale: the time left goes where most is at risk.
5. Leads the cadence flagged (last-chance email due, or proposed for disqualification).

"Today" is the rep's own calendar day, in their time zone. Every list is one query,
capped, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from contacts.models import Lead, LeadStatus
from core.htmx import is_fragment_request, login_required_for_htmx
from pipeline import services
from pipeline.models import Opportunity, Task

TEMPLATE = "pipeline/my_day.html"
# Enough for any real day; a rep with more has a backlog to review on the lists instead.
SECTION_LIMIT = 50


def end_of_today(now: dt.datetime) -> dt.datetime:
    """Midnight at the end of the user's current day, in their time zone."""
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))


@dataclass
class MyDay:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    waiting_leads: list[Lead] = field(default_factory=list)
    stale_deals: list[Opportunity] = field(default_factory=list)
    flagged_leads: list[Lead] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.today
            or self.waiting_leads
            or self.stale_deals
            or self.flagged_leads
        )


def my_day_for(user: User, now: dt.datetime) -> MyDay:
    tasks = list(
        Task.objects.visible_to(user)
        .filter(assignee=user, done_at__isnull=True, due_at__lt=end_of_today(now))
        .select_related("opportunity", "lead", "contact", "company")
        .order_by("due_at", "pk")[: SECTION_LIMIT * 2]
    )
    my_open_leads = Lead.objects.visible_to(user).filter(
        owner=user, status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED]
    )
    waiting = list(
        # No pk tie-break: created_at alone walks lead_owner_status_idx backwards.
        my_open_leads.filter(status=LeadStatus.NEW, first_touch_at__isnull=True).order_by(
            "created_at"
        )[:SECTION_LIMIT]
    )
    flagged = list(
        my_open_leads.filter(
            Q(last_chance_since__isnull=False) | Q(disqualification_proposed_since__isnull=False)
        ).order_by("last_touch_at", "pk")[:SECTION_LIMIT]
    )
    stale = list(
        Opportunity.objects.visible_to(user)
        .open()
        .stale()
        .filter(owner=user)
        .select_related("stage", "company")
        .annotate(at_stake=F("value") * F("stage__probability"))
        .order_by("-at_stake", "stale_since", "pk")[:SECTION_LIMIT]
    )
    for lead in waiting:
        lead.waiting = now - lead.created_at
    return MyDay(
        overdue=[task for task in tasks if task.due_at < now][:SECTION_LIMIT],
        today=[task for task in tasks if task.due_at >= now][:SECTION_LIMIT],
        waiting_leads=waiting,
        stale_deals=stale,
        flagged_leads=flagged,
    )


def _render(request: HttpRequest, **extra: Any) -> TemplateResponse:
    user = request.user
    assert isinstance(user, User)
    now = timezone.now()
    context = {"day": my_day_for(user, now), "now": now, **extra}
    template = f"{TEMPLATE}#my-day" if is_fragment_request(request) else TEMPLATE
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required_for_htmx
def my_day(request: HttpRequest) -> HttpResponse:
    return _render(request)


@login_required_for_htmx
@require_POST
def complete_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a task off from My day and show the day again (htmx: its lists only)."""
    user = request.user
    assert isinstance(user, User)
    try:
        task = services.complete_task(by=user, task_id=pk)
    except Task.DoesNotExist:
        raise Http404 from None
    message = _("Task “%(title)s” done.") % {"title": task.title}
    if not getattr(request, "htmx", False):
        messages.success(request, message)
        return redirect("pipeline:my_day")
    return _render(request, done_message=message)
