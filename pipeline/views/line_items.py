"""The deal panel's products: add, change and remove a deal's line items.

Each write goes through ``pipeline.services.line_items`` with the version the panel showed.
For htmx the answer is the products section (``deal-<pk>-line-items``), out of band the
summary (its value follows the line items) and the panel's other parts that carry the deal's
version (deal_detail.html#deal-version-carriers), and the ``dealChanged`` event, so the board
redraws the card; bad input answers 422 and a stale version 409, with the section showing
the message. Without htmx the endpoints redirect back to the deal page (or show it with the
errors). Invisible deals are 404; a deal the user may only see is 403 (PermissionDenied).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from accounts.models import User
from core.forms import add_service_errors
from core.htmx import is_fragment_request
from pipeline.forms.products import DealVersionForm, LineItemChangeForm, LineItemForm
from pipeline.models import LineItem, Opportunity
from pipeline.services import MoveConflict
from pipeline.services.line_items import add_line_item, change_line_item, remove_line_item
from pipeline.views.board import login_required_for_htmx
from pipeline.views.deals import (
    _deal_changed,
    _panel_context,
    _render,
    _visible_deal_or_404,
)

SECTION_TEMPLATE = "pipeline/_deal_line_items.html"
# The rest of the panel that carries the deal's version, out of band.
CARRIERS_TEMPLATE = "pipeline/deal_detail.html#deal-version-carriers"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _section(request: HttpRequest, pk: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The products section and, out of band, the rest of the panel that carries the deal's
    version (the summary among them), as the deal now stands."""
    deal = _visible_deal_or_404(request, pk)
    context = _panel_context(request, deal, **extra)
    if not is_fragment_request(request):
        return _render(request, None, context, status=status)
    html = render_to_string(SECTION_TEMPLATE, context, request=request)
    html += render_to_string(
        CARRIERS_TEMPLATE, {**context, "answered": "line-items"}, request=request
    )
    response = HttpResponse(html, status=status)
    if status >= 400:
        retarget(response, f"#deal-{pk}-line-items")
        reswap(response, "outerHTML")
    return _deal_changed(response, pk) if status < 400 or status == 409 else response


def _done(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    if not is_fragment_request(request):
        messages.success(request, message)
        return redirect("pipeline:deal_detail", pk=pk)
    return _section(request, pk, line_items_message=message)


def _conflict(request: HttpRequest, pk: int, conflict: MoveConflict) -> HttpResponse:
    return _section(request, pk, status=409, line_items_conflict=str(conflict))


def _write(request: HttpRequest, pk: int, write: Any) -> HttpResponse | None:
    """Run ``write``; an answer for a refusal other than bad input, else None."""
    try:
        write()
    except (Opportunity.DoesNotExist, LineItem.DoesNotExist):
        raise Http404 from None
    except MoveConflict as conflict:
        return _conflict(request, pk, conflict)
    return None


@login_required_for_htmx
@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a product on a visible deal the user may change."""
    form = LineItemForm(request.POST, auto_id=f"deal-{pk}-line-item-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            refused = _write(
                request,
                pk,
                lambda: add_line_item(
                    by=_user(request),
                    opportunity_id=pk,
                    version=data["version"],
                    product=data["product"],
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                    discount=data["discount"],
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return refused or _done(request, pk, _("Product added."))
    else:
        _visible_deal_or_404(request, pk)
    return _section(request, pk, status=422, line_item_form=form)


@login_required_for_htmx
@require_POST
def change(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Change a line item's quantity, unit price or discount."""
    form = LineItemChangeForm(request.POST, auto_id=f"line-item-{item_pk}-%s")
    if form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("quantity", "unit_price", "discount")}
        try:
            refused = _write(
                request,
                pk,
                lambda: change_line_item(
                    by=_user(request),
                    opportunity_id=pk,
                    version=data["version"],
                    line_item_id=item_pk,
                    fields=fields,
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return refused or _done(request, pk, _("Line item changed."))
    else:
        _visible_deal_or_404(request, pk)
    return _section(
        request, pk, status=422, line_item_change_id=item_pk, line_item_change_form=form
    )


@login_required_for_htmx
@require_POST
def remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Take a line item off the deal; the last one leaves the deal's value as it was."""
    form = DealVersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    if version is None:
        _visible_deal_or_404(request, pk)
        return _section(
            request, pk, status=422, line_items_conflict=_("Reload the deal and try again.")
        )
    refused = _write(
        request,
        pk,
        lambda: remove_line_item(
            by=_user(request), opportunity_id=pk, version=version, line_item_id=item_pk
        ),
    )
    return refused or _done(request, pk, _("Line item removed."))
