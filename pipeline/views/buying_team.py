"""The deal panel's buying-team section: add a contact with a role, change a role, make one
primary, remove one; and the contact picker's search.

Each write calls one service with the version the form was drawn at. For htmx the answer is
the section again (with the new version), the deal's summary out of band (the primary is
the deal's contact) and the ``dealChanged`` event for the board's card; a stale version is
409 and a refused input 422, both as the section with the message, retargeted at it.
Without JavaScript every answer is a redirect to the deal page with the message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import User
from core.htmx import is_fragment_request
from pipeline.buying_team_panel import contact_choices
from pipeline.models import Opportunity
from pipeline.services import MoveConflict
from pipeline.services import buying_team as services
from pipeline.views.board import login_required_for_htmx
from pipeline.views.deals import DealPanel, _visible_deal_or_404

TEMPLATE = "pipeline/_deal_buying_team.html"


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1)


class RoleForm(VersionForm):
    role = forms.IntegerField(required=False, label=gettext_lazy("Role"))


class AddMemberForm(RoleForm):
    contact = forms.IntegerField(
        label=gettext_lazy("Contact"),
        error_messages={"required": gettext_lazy("Choose a contact to add.")},
    )
    primary = forms.BooleanField(required=False, label=gettext_lazy("Primary contact"))


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _section(request: HttpRequest, pk: int, *, status: int = 200, **extra: Any) -> TemplateResponse:
    deal = _visible_deal_or_404(request, pk)
    context = {"deal": deal, "panel": DealPanel(_user(request), deal), **extra}
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _changed(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    if not is_fragment_request(request):
        messages.success(request, message)
        return redirect("pipeline:deal_detail", pk=pk)
    response = _section(request, pk, team_message=message)
    response.render()
    # The rest of the panel at the new version, out of band; the summary names the deal's
    # contact, and the primary may just have changed.
    carriers = render_to_string(
        "pipeline/deal_detail.html#deal-version-carriers",
        {**(response.context_data or {}), "answered": "buying-team"},
        request=request,
    )
    response.content = response.content + carriers.encode()
    return trigger_client_event(response, "dealChanged", {"id": pk})


def _refused(request: HttpRequest, pk: int, message: str, status: int) -> HttpResponse:
    if not is_fragment_request(request):
        messages.error(request, message)
        return redirect("pipeline:deal_detail", pk=pk)
    response = _section(request, pk, status=status, team_error=message)
    retarget(response, f"#deal-{pk}-buying-team")
    reswap(response, "outerHTML")
    return response


def _edit(
    request: HttpRequest, pk: int, form: forms.Form, write: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    """Run ``write`` (a service call returning the success message) and answer for it."""
    if not form.is_valid():
        return _refused(request, pk, " ".join(_messages(form.errors)), 422)
    try:
        message = write(form.cleaned_data)
    except Opportunity.DoesNotExist:
        raise Http404 from None
    except PermissionDenied as denied:
        return _refused(request, pk, str(denied) or _("You may not change this deal."), 403)
    except MoveConflict as conflict:
        # "<who> changed this deal first": the section is drawn again at the new version.
        return _refused(request, pk, str(conflict), 409)
    except ValidationError as invalid:
        return _refused(request, pk, " ".join(invalid.messages), 422)
    return _changed(request, pk, message)


def _messages(errors: dict[str, Any]) -> list[str]:
    return [str(message) for field_errors in errors.values() for message in field_errors]


@login_required_for_htmx
@require_POST
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    def write(data: dict[str, Any]) -> str:
        member = services.add_deal_contact(
            by=_user(request),
            opportunity_id=pk,
            version=data["version"],
            contact_id=data["contact"],
            role_id=data["role"],
            is_primary=data["primary"],
        )
        return _("%(contact)s added to the buying team.") % {"contact": member.contact.full_name}

    return _edit(request, pk, AddMemberForm(request.POST), write)


@login_required_for_htmx
@require_POST
def change_role(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    def write(data: dict[str, Any]) -> str:
        member = services.change_deal_contact_role(
            by=_user(request),
            opportunity_id=pk,
            version=data["version"],
            member_id=member_pk,
            role_id=data["role"],
        )
        return _("%(contact)s's role changed.") % {"contact": member.contact.full_name}

    return _edit(request, pk, RoleForm(request.POST), write)


@login_required_for_htmx
@require_POST
def make_primary(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    def write(data: dict[str, Any]) -> str:
        member = services.make_primary_deal_contact(
            by=_user(request), opportunity_id=pk, version=data["version"], member_id=member_pk
        )
        return _("%(contact)s is now the primary contact.") % {"contact": member.contact.full_name}

    return _edit(request, pk, VersionForm(request.POST), write)


@login_required_for_htmx
@require_POST
def remove_member(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    def write(data: dict[str, Any]) -> str:
        services.remove_deal_contact(
            by=_user(request), opportunity_id=pk, version=data["version"], member_id=member_pk
        )
        return _("Removed from the buying team.")

    return _edit(request, pk, VersionForm(request.POST), write)


@login_required_for_htmx
@require_GET
def contact_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """The picker's choices for a search text: visible contacts not on the team yet."""
    user = _user(request)
    deal = _visible_deal_or_404(request, pk)
    search = request.GET.get("q", "")[:100]
    context = {"deal": deal, "choices": contact_choices(user, deal, search)}
    response = TemplateResponse(request, f"{TEMPLATE}#contact-picker", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
