"""Moving a card: drag and drop, the keyboard, the "Move to" menu and the move dialog.

One endpoint, one service call (``move_opportunity``); its GET is the deal's "Move to"
page, where a card's menu leads a browser without JavaScript. With htmx the answer is fragments:
on success the card (new version) and the affected column headers, all out of band so that
they land on whatever the board shows when the answer comes, and the ``dealMoved`` event
that tells board.js where the card belongs; on failure a message (or
the dialog asking for what the target stage needs) and ``moveFailed``, which puts the card
back. A conflict also asks for ``boardRefresh``, which redraws the board as it really is.
Without JavaScript the forms post here and get a redirect back to the board.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from contacts.models import Contact
from core.htmx import login_required_for_htmx
from pipeline.board import (
    CLOSED_COLUMN_DAYS,
    BoardFilters,
    board_card,
    board_stages,
    move_requirements,
    moved_card,
    summarise_columns,
    with_deal_card_fields,
)
from pipeline.forms.board import BoardFilterForm, MoveDialogForm, MoveForm
from pipeline.models import EntryField, Opportunity, Stage, StageKind
from pipeline.services import EntryCriteriaNotMet, MoveConflict, MoveOutcome, move_opportunity

TEMPLATE = "pipeline/board.html"
DIALOG_TEMPLATE = "pipeline/_board_move_dialog.html"
MOVE_PAGE_TEMPLATE = "pipeline/board_move_page.html"


def board_url(pipeline_id: int, filters: BoardFilters) -> str:
    query = filters.query_string()
    url = reverse("pipeline:board", args=[pipeline_id])
    return f"{url}?{query}" if query else url


@login_required_for_htmx
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move deal ``pk`` to ``stage`` between ``after`` and ``before``, at ``version``."""
    filters = BoardFilterForm(request.GET).filters()
    if request.method == "GET":
        return _move_page(request, pk, filters)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, _("This move could not be read. Reload the board."), 400)
    data = form.cleaned_data
    try:
        outcome = move_opportunity(
            opportunity_id=pk,
            by=request.user,
            to_stage_id=data["stage"],
            version=data["version"],
            after_id=data["after"],
            before_id=data["before"],
            fields=form.deal_fields(),
            read=with_deal_card_fields,
        )
    except Opportunity.DoesNotExist:
        if not request.htmx:
            raise Http404 from None
        return _refused(request, pk, _("This deal is not on your board."), 404)
    except PermissionDenied as denied:
        if not request.htmx:
            raise
        return _refused(request, pk, str(denied) or _("You may not change this deal."), 403)
    except MoveConflict as conflict:
        return _conflict(request, conflict.current, data.get("from_stage"), filters)
    except EntryCriteriaNotMet as unmet:
        return _ask(request, pk, form, unmet.stage, filters)
    except ValidationError as invalid:
        errors = invalid.message_dict if hasattr(invalid, "error_dict") else {}
        if "lost_reason" in errors or data["dialog"]:
            stage = Stage.objects.filter(pk=data["stage"]).first()
            if stage is not None:
                return _ask(request, pk, form, stage, filters, invalid)
        return _refused(request, pk, " ".join(invalid.messages), 422)
    return _moved(request, outcome, data, filters)


def _move_page(request: HttpRequest, pk: int, filters: BoardFilters) -> HttpResponse:
    """The deal's "Move to" form on a page of its own; 404 when the deal is not visible."""
    deal = (
        Opportunity.objects.visible_to(request.user)
        .select_related("stage", "pipeline")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise Http404
    query = filters.query_string()
    context = {
        "deal": deal,
        "stages": board_stages(deal.pipeline_id),
        "move_action": reverse("pipeline:move", args=[pk]) + (f"?{query}" if query else ""),
        "board_url": board_url(deal.pipeline_id, filters),
    }
    return render(request, MOVE_PAGE_TEMPLATE, context)


def _moved(
    request: HttpRequest, outcome: MoveOutcome, data: dict[str, Any], filters: BoardFilters
) -> HttpResponse:
    deal = outcome.opportunity
    change = outcome.stage_change
    stages = board_stages(deal.pipeline_id)
    stage = next((s for s in stages if s.pk == deal.stage_id), None)
    stage_name = stage.name if stage is not None else ""
    if change is not None:
        message = _("Moved “%(title)s” to %(stage)s.")
    else:
        message = _("Moved “%(title)s” within %(stage)s.")
    message %= {"title": deal.title, "stage": stage_name}
    if not request.htmx:
        messages.success(request, message)
        return HttpResponseRedirect(board_url(deal.pipeline_id, filters), status=303)

    now = timezone.now()
    headers = []
    # A reorder that fills in no value leaves every header as it was: skip the aggregate,
    # most of a move's time on a large column.
    if change is not None or data.get("value") is not None:
        affected = {deal.stage_id} | ({change.from_stage_id} if change is not None else set())
        headers = summarise_columns(
            request.user, deal.pipeline_id, [s for s in stages if s.pk in affected], filters, now
        )
    if data.get("contact"):
        # A new contact joins the buying team, and may be who decides: read the card anew.
        card = board_card(request.user, deal.pk, now)
    else:
        card = moved_card(deal, stages, now)
    context = {
        "deal": card,
        "stages": stages,
        "filter_query": filters.query_string(),
        "header_columns": headers,
        "closed_column_days": CLOSED_COLUMN_DAYS,
        "status_message": message,
        "status_level": "success",
    }
    response = render(request, f"{TEMPLATE}#move-result", context)
    # Where the card belongs, for board.js to put it there before the card is swapped in:
    # after/before when those cards are in the column, else the column's start or end (as
    # the service did with neighbours it did not find in the column).
    placement = {
        "id": deal.pk,
        "stage": deal.stage_id,
        "after": data.get("after"),
        "before": data.get("before"),
        "at": "end" if stage is None or stage.kind == StageKind.OPEN else "start",
    }
    response = trigger_client_event(response, "dealMoved", placement)
    if outcome.placed_elsewhere:
        # Not where it was dropped (its neighbours had left the column): redraw the board.
        response = trigger_client_event(response, "boardRefresh", {})
    return response


def _status(
    request: HttpRequest, pk: int, message: str, status: int, *, level: str = "danger"
) -> HttpResponse:
    context = {"status_message": message, "status_level": level}
    response = render(request, f"{TEMPLATE}#status-message", context, status=status)
    response = retarget(response, "#board-status")
    response = reswap(response, "innerHTML")
    return trigger_client_event(response, "moveFailed", {"id": pk})


def _refused(request: HttpRequest, pk: int, message: str, status: int) -> HttpResponse:
    if request.htmx:
        return _status(request, pk, message, status)
    messages.error(request, message)
    pipeline_id = (
        Opportunity.objects.visible_to(request.user)
        .filter(pk=pk)
        .values_list("pipeline_id", flat=True)
        .first()
    )
    if pipeline_id is None:
        raise Http404
    filters = BoardFilterForm(request.GET).filters()
    return HttpResponseRedirect(board_url(pipeline_id, filters), status=303)


def _conflict(
    request: HttpRequest, current: Opportunity, seen_stage_id: int | None, filters: BoardFilters
) -> HttpResponse:
    """Name who won the race; the board is redrawn so the card shows where it really is."""
    who = current.updated_by or _("Someone else")
    if seen_stage_id is not None and seen_stage_id != current.stage_id:
        message = _("%(who)s moved this deal first; it is now in %(stage)s.")
    else:
        message = _("%(who)s changed this deal first; the board now shows the latest version.")
    message %= {"who": who, "stage": current.stage.name}
    if not request.htmx:
        messages.error(request, message)
        return HttpResponseRedirect(board_url(current.pipeline_id, filters), status=303)
    response = _status(request, current.pk, message, 409)
    return trigger_client_event(response, "boardRefresh", {})


def _ask(
    request: HttpRequest,
    pk: int,
    form: MoveForm,
    stage: Stage,
    filters: BoardFilters,
    invalid: ValidationError | None = None,
) -> HttpResponse:
    """422 with the dialog asking for what ``stage`` needs (a lost reason, criteria).

    The stage's unmet criteria are listed from the service's own judgement; ``invalid``
    (a field the service refused) is shown at its input, or above the form.
    """
    deal = (
        Opportunity.objects.visible_to(request.user)
        .select_related("company", "pipeline")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise Http404
    requirements = move_requirements(deal, stage)
    contacts = None
    if EntryField.CONTACT in requirements.fields:
        contacts = Contact.objects.visible_to(request.user).filter(company_id=deal.company_id)
    data = form.cleaned_data
    dialog = MoveDialogForm(
        request.POST if data.get("dialog") else None,
        deal=deal,
        requirements=requirements,
        contacts=contacts,
    )
    errors: list[str] = []
    if dialog.is_bound:
        dialog.is_valid()  # show what is wrong with each field, beside the service's verdict
        for name, messages_ in (invalid.message_dict if invalid is not None else {}).items():
            if name in dialog.fields:
                dialog.add_error(name, messages_)
            else:
                errors.extend(messages_)
    query = filters.query_string()
    move_url = reverse("pipeline:move", args=[pk]) + (f"?{query}" if query else "")
    context = {
        "deal": deal,
        "stage": stage,
        "form": dialog,
        "move": data,
        "move_url": move_url,
        "errors": errors,
        "board_url": board_url(deal.pipeline_id, filters),
    }
    if not request.htmx:
        page = {**context, "pipeline": deal.pipeline, "move_dialog": True}
        return render(request, TEMPLATE, page, status=422)
    response = render(request, DIALOG_TEMPLATE, context, status=422)
    response = retarget(response, "#board-dialog-content")
    response = reswap(response, "innerHTML")
    return trigger_client_event(response, "moveFailed", {"id": pk})
