"""A deal up close: its page, the board's side panel, and the writes made from them.

``DealDetailView`` serves the full page and, for htmx, the ``deal-panel`` partial the board
shows in its offcanvas (or one section of it). The write endpoints answer htmx with the
changed fragments (the form, plus the lists and the summary out of band) and the
``dealChanged`` event, so the board refreshes that card; without htmx they redirect back
to the deal page. Invisible deals and tasks are 404 everywhere.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Count, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import View
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import User
from core.editing import with_can_edit
from core.htmx import is_fragment_request
from pipeline import services
from pipeline.board import decorate_card, with_card_fields
from pipeline.buying_team_panel import BuyingTeamSection
from pipeline.deal_custom_fields import DealCustomFields, DealCustomFieldsForm
from pipeline.forms.activity import KIND_ICONS, TaskForm, TouchpointForm
from pipeline.forms.deals import ReopenForm, may_reassign
from pipeline.models import (
    Opportunity,
    OpportunityStatus,
    Task,
    Touchpoint,
    TouchpointKind,
)
from pipeline.risks import DealRisk, deal_risks
from pipeline.timeline import TimelineEntry, deal_timeline
from pipeline.views.board import login_required_for_htmx
from pipeline.views.line_item_panel import LineItemSection, line_item_section

TEMPLATE = "pipeline/deal_detail.html"
# The panel shows the latest touchpoints; "show all" loads the rest (up to a sane cap).
PANEL_TOUCHPOINTS = 20
ALL_TOUCHPOINTS = 500
RECENTLY_DONE_TASKS = 5
# The history likewise: the latest moves and edits, then "show all" (up to a sane cap).
PANEL_HISTORY = 20
ALL_HISTORY = 500

LOGGED_MESSAGES: dict[str, Any] = {
    TouchpointKind.CALL: gettext_lazy("Call logged."),
    TouchpointKind.EMAIL: gettext_lazy("Email logged."),
    TouchpointKind.MEETING: gettext_lazy("Meeting logged."),
    TouchpointKind.NOTE: gettext_lazy("Note added."),
}


def visible_deals(user: User) -> Any:
    """The user's visible deals with what the panel shows about them: one query per deal.

    The card's fields (``next_task_due`` drives "next task" and the overdue badge), plus the
    contact, the pipeline, ``touchpoint_count`` for the "show all" link, and ``can_edit``
    (whether the user may change it), which decides whether its values are editable.
    """
    touchpoints = (
        Touchpoint.objects.filter(opportunity=OuterRef("pk"))
        .order_by()
        .values("opportunity")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        with_can_edit(with_card_fields(Opportunity.objects.visible_to(user)), user)
        .select_related("contact", "pipeline")
        .annotate(touchpoint_count=Coalesce(Subquery(touchpoints), 0))
    )


class DealPanel:
    """What the deal page and panel show, read lazily: a fragment pays only for its part.

    Every list is one query whatever its length; the template reads these attributes.
    """

    def __init__(
        self,
        user: User,
        deal: Opportunity,
        *,
        all_touchpoints: bool = False,
        all_history: bool = False,
        custom_fields_form: DealCustomFieldsForm | None = None,
    ) -> None:
        self.now = timezone.now()
        self.user, self.deal = user, decorate_card(deal, self.now)
        self.all_touchpoints = all_touchpoints
        self.all_history = all_history
        self.custom_fields_form = custom_fields_form

    @cached_property
    def custom_fields(self) -> DealCustomFields:
        return DealCustomFields(self.user, self.deal, form=self.custom_fields_form)

    # The badges are the card's own (pipeline.board.decorate_card), so that the panel and
    # the card it was opened from never disagree about "stale" or "overdue".
    @property
    def days_in_stage(self) -> int:
        return self.deal.days_in_stage  # type: ignore[attr-defined]

    @property
    def is_open(self) -> bool:
        return self.deal.status == OpportunityStatus.OPEN

    @property
    def is_stale(self) -> bool:
        return self.deal.is_stale  # type: ignore[attr-defined]

    @property
    def has_overdue_task(self) -> bool:
        return self.deal.has_overdue_task  # type: ignore[attr-defined]

    @property
    def close_date_passed(self) -> bool:
        return self.deal.is_past_close  # type: ignore[attr-defined]

    @cached_property
    def risks(self) -> list[DealRisk]:
        """Each badge's rule, since when, and what clears it (no query: the card's fields)."""
        return deal_risks(self.deal, self.now)

    @property
    def weighted_value(self) -> Any:
        return self.deal.weighted_value

    @property
    def may_reassign(self) -> bool:
        return bool(self.deal.can_edit) and may_reassign(self.user)  # type: ignore[attr-defined]

    @cached_property
    def reopen_form(self) -> ReopenForm:
        """For a won or lost deal: the open stages it may go back into (one query)."""
        return ReopenForm(deal=self.deal, auto_id=f"reopen-{self.deal.pk}-%s")

    @cached_property
    def line_items(self) -> LineItemSection:
        return line_item_section(self.user, self.deal)

    @cached_property
    def buying_team(self) -> BuyingTeamSection:
        return BuyingTeamSection(self.user, self.deal)

    @cached_property
    def _history_page(self) -> list[TimelineEntry]:
        limit = ALL_HISTORY if self.all_history else PANEL_HISTORY
        return deal_timeline(self.deal, limit=limit + 1, now=self.now)

    @property
    def history(self) -> list[TimelineEntry]:
        """Moves and edits, newest first, one query; capped ("show all" lifts the cap)."""
        limit = ALL_HISTORY if self.all_history else PANEL_HISTORY
        return self._history_page[:limit]

    @property
    def has_more_history(self) -> bool:
        limit = ALL_HISTORY if self.all_history else PANEL_HISTORY
        return len(self._history_page) > limit

    @cached_property
    def _touchpoint_page(self) -> list[Touchpoint]:
        limit = ALL_TOUCHPOINTS if self.all_touchpoints else PANEL_TOUCHPOINTS
        touchpoints = list(
            Touchpoint.objects.visible_to(self.user)
            .filter(opportunity=self.deal)
            .select_related("by")
            .order_by("-at", "-pk")[: limit + 1]
        )
        for touchpoint in touchpoints:
            touchpoint.icon = KIND_ICONS.get(touchpoint.kind, "bi-dot")
        return touchpoints

    @property
    def touchpoints(self) -> list[Touchpoint]:
        limit = ALL_TOUCHPOINTS if self.all_touchpoints else PANEL_TOUCHPOINTS
        return self._touchpoint_page[:limit]

    @property
    def has_more_touchpoints(self) -> bool:
        limit = ALL_TOUCHPOINTS if self.all_touchpoints else PANEL_TOUCHPOINTS
        return len(self._touchpoint_page) > limit

    def _tasks(self) -> Any:
        condition = Task.objects.editability_q(self.user)
        can_change = (
            Value(True)
            if condition is None
            else Case(When(condition, then=Value(True)), default=Value(False))
        )
        return (
            Task.objects.visible_to(self.user)
            .filter(opportunity=self.deal)
            .select_related("assignee")
            .annotate(can_change=Coalesce(can_change, Value(False), output_field=BooleanField()))
        )

    @cached_property
    def open_tasks(self) -> list[Task]:
        tasks = list(self._tasks().filter(done_at__isnull=True).order_by("due_at", "pk"))
        for task in tasks:
            task.is_overdue = task.due_at < self.now
        return tasks

    @cached_property
    def done_tasks(self) -> list[Task]:
        """The latest few completions: enough to undo a slip of the finger."""
        return list(
            self._tasks()
            .filter(done_at__isnull=False)
            .order_by("-done_at", "-pk")[:RECENTLY_DONE_TASKS]
        )


def _panel_context(
    request: HttpRequest,
    deal: Opportunity,
    *,
    touchpoint_form: TouchpointForm | None = None,
    task_form: TaskForm | None = None,
    all_touchpoints: bool = False,
    all_history: bool = False,
    custom_fields_form: DealCustomFieldsForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    panel = DealPanel(
        user,
        deal,
        all_touchpoints=all_touchpoints,
        all_history=all_history,
        custom_fields_form=custom_fields_form,
    )
    return {
        "deal": deal,
        "panel": panel,
        "touchpoint_form": touchpoint_form or TouchpointForm(auto_id="touchpoint-%s"),
        "task_form": task_form or TaskForm(user=user, auto_id="task-%s"),
        **extra,
    }


def _render(
    request: HttpRequest, fragment: str | None, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    template = f"{TEMPLATE}#{fragment}" if fragment else TEMPLATE
    response = TemplateResponse(request, template, context, status=status)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# An expired session sends htmx requests to the login page as a whole page, not into the panel.
@method_decorator(login_required_for_htmx, name="dispatch")
class DealDetailView(View):
    """The deal page; for htmx the side panel, or its touchpoint list ("show all")."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        deal = get_object_or_404(visible_deals(user), pk=kwargs["pk"])
        context = _panel_context(
            request,
            deal,
            all_touchpoints=request.GET.get("touchpoints") == "all",
            all_history=request.GET.get("history") == "all",
        )
        if not is_fragment_request(request):
            return _render(request, None, context)
        target = request.htmx.target  # type: ignore[attr-defined]
        if target == f"deal-{deal.pk}-touchpoints":
            return _render(request, "deal-touchpoints", context)
        if target == f"deal-{deal.pk}-history":
            return _render(request, "deal-history", context)
        if target == f"deal-{deal.pk}-summary":
            # An in-place edit cancelled: the values as they stand, the title with them.
            return _render(request, "deal-details", context)
        return _render(request, "deal-panel", {**context, "as_panel": True})


def _visible_deal_or_404(request: HttpRequest, pk: int) -> Opportunity:
    user = request.user
    assert isinstance(user, User)
    return get_object_or_404(visible_deals(user), pk=pk)


def _deal_changed(response: HttpResponse, pk: int) -> HttpResponse:
    # The board listens for this and reloads the card (last touch, next task, badges).
    return trigger_client_event(response, "dealChanged", {"id": pk})


def _invalid(
    request: HttpRequest, pk: int, fragment: str, form_key: str, form: Any
) -> HttpResponse:
    """The form again with its errors: a fragment for htmx, else the whole page (422)."""
    deal = _visible_deal_or_404(request, pk)
    context = _panel_context(request, deal, **{form_key: form})
    if not is_fragment_request(request):
        return _render(request, None, context, status=422)
    response = _render(request, fragment, context, status=422)
    retarget(response, f"#deal-{pk}-{fragment}")
    reswap(response, "outerHTML")
    return response


@login_required_for_htmx
@require_POST
def log_touchpoint(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, email, meeting or note on a visible deal."""
    user = request.user
    assert isinstance(user, User)
    form = TouchpointForm(request.POST, auto_id="touchpoint-%s")
    if form.is_valid():
        try:
            touchpoint = services.log_touchpoint(by=user, opportunity_id=pk, **form.cleaned_data)
        except Opportunity.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = str(LOGGED_MESSAGES[touchpoint.kind])
            if not is_fragment_request(request):
                messages.success(request, message)
                return redirect("pipeline:deal_detail", pk=pk)
            deal = _visible_deal_or_404(request, pk)
            context = _panel_context(
                request, deal, logged_message=message, new_touchpoint_id=touchpoint.pk
            )
            return _deal_changed(_render(request, "touchpoint-logged", context), pk)
    return _invalid(request, pk, "touchpoint-form", "touchpoint_form", form)


@login_required_for_htmx
@require_POST
def add_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a task to a visible deal, for oneself or (managers) a team member."""
    user = request.user
    assert isinstance(user, User)
    form = TaskForm(request.POST, user=user, auto_id="task-%s")
    if form.is_valid():
        try:
            task = services.add_task(by=user, opportunity_id=pk, **form.cleaned_data)
        except Opportunity.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = _("Task “%(title)s” added.") % {"title": task.title}
            if not is_fragment_request(request):
                messages.success(request, message)
                return redirect("pipeline:deal_detail", pk=pk)
            deal = _visible_deal_or_404(request, pk)
            context = _panel_context(request, deal, added_message=message, new_task_id=task.pk)
            return _deal_changed(_render(request, "task-added", context), pk)
    return _invalid(request, pk, "task-form", "task_form", form)


def _task_changed(request: HttpRequest, task: Task, message: str) -> HttpResponse:
    """Answer a completion or reopening: the deal's task list, or back where the user was."""
    user = request.user
    assert isinstance(user, User)
    deal = (
        visible_deals(user).filter(pk=task.opportunity_id).first()
        if task.opportunity_id is not None
        else None
    )
    if not is_fragment_request(request):
        messages.success(request, message)
        if deal is not None:
            return redirect("pipeline:deal_detail", pk=deal.pk)
        # The landing page: the project's, named by its settings rather than by crm's URL.
        return redirect(settings.LOGIN_REDIRECT_URL)
    if deal is None:
        # A task about a lead or contact, or on a deal the user cannot open: no panel to
        # redraw; the page that sent it may listen for the event.
        return trigger_client_event(HttpResponse(status=204), "taskChanged", {"id": task.pk})
    context = _panel_context(request, deal)
    return _deal_changed(_render(request, "tasks-changed", context), deal.pk)


@login_required_for_htmx
@require_POST
def complete_task(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        task = services.complete_task(by=user, task_id=pk)
    except Task.DoesNotExist:
        raise Http404 from None
    return _task_changed(request, task, _("Task “%(title)s” done.") % {"title": task.title})


@login_required_for_htmx
@require_POST
def reopen_task(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        task = services.reopen_task(by=user, task_id=pk)
    except Task.DoesNotExist:
        raise Http404 from None
    return _task_changed(request, task, _("Task “%(title)s” reopened.") % {"title": task.title})
