"""Editing a deal's custom fields from its panel or page.

htmx gets the section back (``pipeline/_deal_custom_fields.html``): 200 with the new
values and ``dealChanged``, 422 with the form and its errors, 409 with the deal as it now
stands and who changed it first. Without htmx: a redirect to the deal page, or the page
with the form's errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import User
from core.forms import add_service_errors
from core.htmx import is_fragment_request
from pipeline.deal_custom_fields import DealCustomFieldsForm
from pipeline.models import Opportunity
from pipeline.services import MoveConflict
from pipeline.services.custom_fields import active_deal_fields, set_deal_custom_values
from pipeline.views.board import login_required_for_htmx
from pipeline.views.deals import (
    _panel_context,
    _visible_deal_or_404,
)

SECTION_TEMPLATE = "pipeline/_deal_custom_fields.html"
PAGE_TEMPLATE = "pipeline/deal_detail.html"


def _answer(
    request: HttpRequest,
    deal: Opportunity,
    *,
    form: DealCustomFieldsForm | None = None,
    status: int = 200,
    **extra: object,
) -> HttpResponse:
    context = _panel_context(request, deal, custom_fields_form=form, **extra)
    if not is_fragment_request(request):
        response = TemplateResponse(request, PAGE_TEMPLATE, context, status=status)
    else:
        response = TemplateResponse(request, SECTION_TEMPLATE, context, status=status)
        if status != 200:
            retarget(response, f"#deal-{deal.pk}-custom-fields")
            reswap(response, "outerHTML")
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required_for_htmx
@require_POST
def set_deal_custom_fields(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the custom values of a deal the user may change (403 if only visible, else 404)."""
    user = request.user
    assert isinstance(user, User)
    deal = _visible_deal_or_404(request, pk)
    form = DealCustomFieldsForm(request.POST, deal=deal, definitions=active_deal_fields())
    if not form.is_valid():
        return _answer(request, deal, form=form, status=422)
    try:
        set_deal_custom_values(
            by=user,
            opportunity_id=pk,
            version=form.cleaned_data["version"],
            values=form.custom_field_values(),
        )
    except Opportunity.DoesNotExist:
        raise Http404 from None
    except MoveConflict as conflict:
        current = _visible_deal_or_404(request, pk)
        return _answer(request, current, status=409, custom_fields_conflict=str(conflict))
    except ValidationError as error:
        add_service_errors(form, error)
        return _answer(request, deal, form=form, status=422)
    message = _("Custom fields saved.")
    if not is_fragment_request(request):
        messages.success(request, message)
        return redirect("pipeline:deal_detail", pk=pk)
    saved = _visible_deal_or_404(request, pk)
    response = _answer(request, saved, custom_fields_message=message)
    return trigger_client_event(response, "dealChanged", {"id": pk})
