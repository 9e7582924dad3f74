from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    # A signed-in user who follows a bookmark to the login page goes straight to work.
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the answer to a sign-in refused by the login throttle.

    The refused attempt counted as a failure and started the cool-off again, so the wait
    runs from now.
    """
    cool_off = get_cool_off(request)
    context = {
        "retry_at": timezone.now() + cool_off,
        "minutes": round(cool_off.total_seconds() / 60),
    }
    response = render(request, "registration/lockout.html", context, status=429)
    response["Retry-After"] = str(round(cool_off.total_seconds()))
    return response
