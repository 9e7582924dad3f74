"""Creating a deal: a page of its own (``deals/new/``), and the same form in the board's
dialog, opened from "+ Deal" or a column's "+".

One view serves the page, the dialog's content (htmx, aimed at ``#board-dialog-content``)
and their posts. ``?stage=``, ``?pipeline=``, ``?company=`` and ``?contact=`` fill the form
in. On success the page goes to the new deal; the dialog gets the new card at the top of
its column, the column's header and a status message, all out of band, and
``dealCreated``, which closes it. Errors come back as the form again (422), in the dialog
when it was sent from there. The board's filters ride along in the query string, so the
column's header counts what that board counts. The form's product rows
(``pipeline/forms/new_deal_line_items.py``) become the deal's line items, in the same
transaction; a bad row is refused on that row and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from accounts.models import User
from contacts.models import Company, Contact
from core.forms import add_service_errors
from core.htmx import login_required_for_htmx
from pipeline.board import (
    CLOSED_COLUMN_DAYS,
    board_card,
    board_stages,
    summarise_columns,
)
from pipeline.forms.board import BoardFilterForm
from pipeline.forms.new_deal import NewDealForm, open_stages
from pipeline.forms.new_deal_line_items import (
    NewDealLineItemForm,
    add_row_errors,
    given_items,
    line_item_rows,
)
from pipeline.models import EntryField, Opportunity, Stage
from pipeline.services import EntryCriteriaNotMet
from pipeline.services.new_deals import create_opportunity_with_new_records

TEMPLATE = "pipeline/new_deal.html"
BOARD_TEMPLATE = "pipeline/_new_deal_on_board.html"
DIALOG = "board-dialog-content"
# The form's field that shows each entry criterion a new deal can fill in.
CRITERIA_FIELDS = {
    EntryField.VALUE: "value",
    EntryField.EXPECTED_CLOSE_DATE: "expected_close_date",
    EntryField.CONTACT: "contact_name",
}


def _visible(model: type[Company] | type[Contact], user: User, value: str) -> Any:
    if not value.isdigit() or len(value) > 18:
        return None
    records = model.objects.visible_to(user)
    if model is Contact:
        records = records.select_related("company")
    return records.filter(pk=int(value)).first()


def _initial(request: HttpRequest, user: User, stages: list[Stage]) -> dict[str, Any]:
    """What the query string fills in: a stage (or a pipeline's first), a company, a contact."""
    initial: dict[str, Any] = {}
    stage_id, pipeline_id = request.GET.get("stage", ""), request.GET.get("pipeline", "")
    stage = next((s for s in stages if str(s.pk) == stage_id), None)
    stage = stage or next((s for s in stages if str(s.pipeline_id) == pipeline_id), None)
    if stage is not None:
        initial["stage"] = stage.pk
    contact = _visible(Contact, user, request.GET.get("contact", ""))
    company = contact.company if contact is not None else None
    company = company or _visible(Company, user, request.GET.get("company", ""))
    if company is not None:
        initial.update(company=company.pk, company_name=company.name)
    if contact is not None:
        initial.update(contact=contact.pk, contact_name=contact.full_name)
    return initial


def _in_dialog(request: HttpRequest) -> bool:
    htmx = request.htmx
    return bool(htmx) and (htmx.target == DIALOG or request.POST.get("in_dialog") == "1")


def _render(
    request: HttpRequest,
    form: NewDealForm,
    rows: list[NewDealLineItemForm],
    *,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.urlencode()
    context = {
        "form": form,
        "line_item_rows": rows,
        "action": reverse("pipeline:new_deal") + (f"?{query}" if query else ""),
        "in_dialog": _in_dialog(request),
    }
    if not context["in_dialog"]:
        return render(request, TEMPLATE, context, status=status)
    response = render(request, f"{TEMPLATE}#new-deal-dialog", context, status=status)
    if status != 200:
        response = reswap(retarget(response, f"#{DIALOG}"), "innerHTML")
    return response


def _refuse_criteria(form: NewDealForm, unmet: EntryCriteriaNotMet) -> None:
    """The stage's unmet criteria: at the stage, and at each field that would meet one."""
    form.add_error("stage", str(unmet))
    missing = set(unmet.missing)
    for name in unmet.stage.entry_fields:
        field = CRITERIA_FIELDS.get(name)
        if field is not None and str(EntryField(name).label) in missing:
            form.add_error(field, _("%(stage)s needs this.") % {"stage": unmet.stage.name})
    done = set(form.cleaned_data.get("checklist_done", []))
    if any(item not in done for item in unmet.stage.entry_checklist):
        form.add_error(
            "checklist_done", _("%(stage)s needs every item ticked.") % {"stage": unmet.stage.name}
        )


@login_required_for_htmx
@require_http_methods(["GET", "POST"])
def new_deal(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    stages = open_stages()
    if request.method == "GET":
        form = NewDealForm(initial=_initial(request, user, stages), user=user, stages=stages)
        return _render(request, form, line_item_rows())
    form = NewDealForm(request.POST, user=user, stages=stages)
    rows = line_item_rows(request.POST)
    rows_valid = all([row.is_valid() for row in rows])  # every row checked, not the first
    if form.is_valid() and rows_valid:
        items, origins = given_items(rows)
        try:
            deal = create_opportunity_with_new_records(**form.service_arguments(), line_items=items)
        except ValidationError as error:
            rest = add_row_errors(rows, origins, error)
            if rest is not None:
                add_service_errors(form, rest)
        except PermissionDenied as denied:
            form.add_error("owner", str(denied))
        except EntryCriteriaNotMet as unmet:
            _refuse_criteria(form, unmet)
        else:
            return _created(request, deal)
    return _render(request, form, rows, status=422)


def _created(request: HttpRequest, deal: Opportunity) -> HttpResponse:
    message = _("Deal “%(title)s” created.") % {"title": deal.title}
    if _in_dialog(request):
        return _placed_on_board(request, deal, message)
    messages.success(request, message)
    url = reverse("pipeline:deal_detail", args=[deal.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url, status=303)


def _placed_on_board(request: HttpRequest, deal: Opportunity, message: str) -> HttpResponse:
    """The new card on top of its column, the column's header and the message, out of band:
    they land on the board if it shows that pipeline, and nowhere otherwise."""
    user = request.user
    assert isinstance(user, User)
    now = timezone.now()
    filters = BoardFilterForm(request.GET).filters()
    stages = board_stages(deal.pipeline_id)
    stage = next(s for s in stages if s.pk == deal.stage_id)
    headers = summarise_columns(user, deal.pipeline_id, [stage], filters, now)
    context = {
        "deal": board_card(user, deal.pk, now),
        "stages": stages,
        "column": headers[0],
        "filter_query": filters.query_string(),
        "closed_column_days": CLOSED_COLUMN_DAYS,
        "status_message": message,
        "status_level": "success",
    }
    response = render(request, BOARD_TEMPLATE, context)
    response = reswap(response, "none")
    # After settling: board.js reopens the dialog after any swap aimed at it, this one too.
    return trigger_client_event(
        response, "dealCreated", {"id": deal.pk, "stage": stage.pk}, after="settle"
    )
