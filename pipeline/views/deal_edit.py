"""Editing a deal: its values in place in the panel, the edit page, and reopening it.

Every write goes through ``update_opportunity`` (or ``move_opportunity`` for a reopening)
with the version the user saw. With htmx the answer is the deal's details (the summary and
the title out of band) and ``dealChanged``, which has the board redraw the card and its
column's header; a stale version answers 409 with the current values and who changed them
first; refused input answers 422 with the field and its message. Without htmx the forms post
to the same addresses and get the page back (or a redirect to the deal).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import View
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import User
from core.forms import add_service_errors
from core.htmx import is_fragment_request, login_required_for_htmx
from pipeline.forms.deals import INLINE_PARTS, DealForm, ReopenForm
from pipeline.models import Opportunity, OpportunityStatus
from pipeline.services import EntryCriteriaNotMet, MoveConflict, move_opportunity
from pipeline.services.deal_edits import update_deal_with_custom_values
from pipeline.services.opportunities import update_opportunity
from pipeline.views.deals import (
    TEMPLATE,
    _panel_context,
    _render,
    _visible_deal_or_404,
    visible_deals,
)

EDIT_TEMPLATE = "pipeline/deal_edit.html"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def conflict_message(current: Opportunity) -> str:
    who = current.updated_by or _("Someone else")
    return _("%(who)s changed this deal first; here is what it says now.") % {"who": who}


def _deal_changed(response: HttpResponse, deal: Opportunity) -> HttpResponse:
    # The board redraws the card and, since a value may have changed, its column's header.
    return trigger_client_event(
        response, "dealChanged", {"id": deal.pk, "stage": deal.stage_id, "columns": True}
    )


def _details(request: HttpRequest, pk: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The deal's details as they now stand, in place of the summary (title out of band)."""
    deal = _visible_deal_or_404(request, pk)
    response = _render(request, "deal-details", _panel_context(request, deal, **extra), status)
    if status != 200:
        retarget(response, f"#deal-{pk}-summary")
        reswap(response, "outerHTML")
    return response


# --- In place, in the panel ------------------------------------------------------------------


@login_required_for_htmx
@require_http_methods(["GET", "POST"])
def edit_part(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """One value of the panel as an input (GET), and saving it (POST).

    The GET carries the version the panel showed (``?version=``), so that a value changed
    meanwhile by someone else is a 409 on saving, not silently overwritten.
    """
    if part not in INLINE_PARTS:
        raise Http404
    user = _user(request)
    deal = _visible_deal_or_404(request, pk)
    if not is_fragment_request(request):
        # Without JavaScript the value's link leads to the edit page; so does this address.
        return redirect("pipeline:edit_deal", pk=pk)
    if not deal.can_edit:  # type: ignore[attr-defined]
        raise PermissionDenied(_("You may not change this deal."))
    names = INLINE_PARTS[part]
    if request.method == "POST":
        form = DealForm(request.POST, user=user, deal=deal, fields=names, auto_id=f"edit-{pk}-%s")
    else:
        initial = {**DealForm.initial_for(deal), "version": request.GET.get("version")}
        form = DealForm(
            user=user, deal=deal, fields=names, initial=initial, auto_id=f"edit-{pk}-%s"
        )
    if not set(names) & set(form.fields):
        raise PermissionDenied(_("You may not change this."))
    if request.method != "POST":
        return _render(request, "deal-part-form", {"deal": deal, "form": form, "part": part})
    if form.is_valid():
        try:
            saved = update_opportunity(
                by=user,
                opportunity_id=pk,
                version=form.cleaned_data["version"],
                fields=form.changes(),
            )
        except MoveConflict as conflict:
            return _details(request, pk, status=409, conflict=conflict_message(conflict.current))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _deal_changed(_details(request, pk, saved_part=part), saved)
    response = _render(
        request, "deal-part-form", {"deal": deal, "form": form, "part": part}, status=422
    )
    retarget(response, f"#deal-{pk}-part-{part}")
    reswap(response, "innerHTML")
    return response


# --- The edit page ---------------------------------------------------------------------------


@method_decorator(login_required_for_htmx, name="dispatch")
class DealEditView(View):
    """Every detail of a deal on one page; works without JavaScript."""

    def _page(
        self,
        request: HttpRequest,
        deal: Opportunity,
        form: DealForm,
        status: int = 200,
        **extra: Any,
    ) -> HttpResponse:
        context = {"deal": deal, "form": form, **extra}
        return TemplateResponse(request, EDIT_TEMPLATE, context, status=status)

    def _editable(self, request: HttpRequest, pk: int) -> Opportunity:
        # With its company: the company picker shows its name.
        deal = get_object_or_404(visible_deals(_user(request)).select_related("company"), pk=pk)
        if not deal.can_edit:  # type: ignore[attr-defined]
            raise PermissionDenied(_("You may not change this deal."))
        return deal

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        deal = self._editable(request, pk)
        return self._page(
            request, deal, DealForm(user=_user(request), deal=deal, auto_id=f"edit-{pk}-%s")
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = _user(request)
        deal = self._editable(request, pk)
        form = DealForm(request.POST, user=user, deal=deal, auto_id=f"edit-{pk}-%s")
        if form.is_valid():
            try:
                update_deal_with_custom_values(
                    by=user,
                    opportunity_id=pk,
                    version=form.cleaned_data["version"],
                    fields=form.changes(),
                    custom_values=form.changed_custom_values(),
                )
            except MoveConflict as conflict:
                # The deal as it now is, to review; what was typed would undo their change.
                current = _visible_deal_or_404(request, pk)
                fresh = DealForm(user=user, deal=current, auto_id=f"edit-{pk}-%s")
                message = conflict_message(conflict.current)
                return self._page(request, current, fresh, status=409, conflict=message)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Deal “%(title)s” saved.") % {"title": deal.title})
                return redirect("pipeline:deal_detail", pk=pk)
        return self._page(request, deal, form, status=422)


# --- Reopening a won or lost deal ------------------------------------------------------------


@login_required_for_htmx
@require_POST
def reopen_deal(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a won or lost deal back into an open stage: a move, recorded as one."""
    user = _user(request)
    deal = _visible_deal_or_404(request, pk)
    if deal.status == OpportunityStatus.OPEN:
        return _reopen_refused(request, deal, _("This deal is open already."), 422)
    form = ReopenForm(request.POST, deal=deal)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label}: {' '.join(errors)}"
            if name in form.fields
            else " ".join(errors)
            for name, errors in form.errors.items()
        )
        return _reopen_refused(request, deal, problems, 422)
    try:
        outcome = move_opportunity(
            opportunity_id=pk,
            by=user,
            to_stage_id=form.cleaned_data["stage"].pk,
            version=form.cleaned_data["version"],
        )
    except MoveConflict as conflict:
        return _reopen_refused(request, deal, conflict_message(conflict.current), 409)
    except EntryCriteriaNotMet as unmet:
        return _reopen_refused(request, deal, str(unmet), 422)
    except ValidationError as error:
        return _reopen_refused(request, deal, " ".join(error.messages), 422)
    message = _("Reopened in %(stage)s.") % {"stage": form.cleaned_data["stage"].name}
    if not is_fragment_request(request):
        messages.success(request, message)
        return redirect("pipeline:deal_detail", pk=pk)
    response = _details(request, pk, reopened_message=message)
    # The card leaves the closed column for an open one: the board redraws.
    response = trigger_client_event(response, "boardRefresh", {})
    return _deal_changed(response, outcome.opportunity)


def _reopen_refused(
    request: HttpRequest, deal: Opportunity, message: str, status: int
) -> HttpResponse:
    if not is_fragment_request(request):
        context = _panel_context(request, deal, reopen_problem=message)
        return TemplateResponse(request, TEMPLATE, context, status=status)
    return _details(request, deal.pk, status=status, reopen_problem=message)
