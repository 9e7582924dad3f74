"""The profile page: a user's own settings and their API tokens.

Plain forms work without JavaScript; with htmx, creating a token swaps the token section
(``api-tokens``, showing the new key once) and revoking one swaps its row (``token-row``,
element ``token-<pk>``). A token that is not the user's own answers 404, like any record
outside what they may see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.forms import ApiTokenForm, ProfileForm
from accounts.models import ApiToken, User
from accounts.services.profile import update_profile
from accounts.services.tokens import IssuedToken, issue_api_token, revoke_api_token
from core.forms import add_service_errors

TEMPLATE = "accounts/profile.html"
UNPROCESSABLE = 422


class ProfileRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def render_profile(
    request: ProfileRequest,
    *,
    profile_form: ProfileForm | None = None,
    token_form: ApiTokenForm | None = None,
    issued: IssuedToken | None = None,
    fragment: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "profile_form": profile_form or ProfileForm.for_user(request.user),
        "token_form": token_form or ApiTokenForm(),
        "tokens": ApiToken.objects.visible_to(request.user),
        "issued": issued,
    }
    template = f"{TEMPLATE}#{fragment}" if fragment else TEMPLATE
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: ProfileRequest) -> HttpResponse:
    if request.method == "GET":
        return render_profile(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            update_profile(user=request.user, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return HttpResponseRedirect(reverse("profile"))
    request.user.refresh_from_db()
    return render_profile(request, profile_form=form, status=UNPROCESSABLE)


@login_required
@require_POST
def create_token(request: ProfileRequest) -> HttpResponse:
    """Issue a token and show its key, once: it is not stored and cannot be shown again.

    The answer is the page itself, not a redirect, so the key never sits in a session or
    a URL; reloading the page asks before posting again, as browsers do.
    """
    fragment = "api-tokens" if request.htmx else ""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            issued = issue_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render_profile(request, issued=issued, fragment=fragment, status=201)
    return render_profile(request, token_form=form, fragment=fragment, status=UNPROCESSABLE)


@login_required
@require_POST
def revoke_token(request: ProfileRequest, pk: int) -> HttpResponse:
    try:
        token = revoke_api_token(token_id=pk, by=request.user)
    except ApiToken.DoesNotExist:
        raise Http404(_("No such token.")) from None
    if request.htmx:
        return render(request, f"{TEMPLATE}#token-row", {"token": token})
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return HttpResponseRedirect(reverse("profile") + "#api-tokens")
