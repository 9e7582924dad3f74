"""Signing in and out, resetting a forgotten password, and the lockout page."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.forms import LoginForm, PasswordResetForm, SetPasswordForm
from accounts.login_throttle import forget_failed_sign_ins


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    # A signed-in user who follows a bookmark to the login page goes straight to work.
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an e-mail address and sends a one-time link to the users who have it.

    Whether an account has the address or not, the answer is the same "check your inbox"
    page: the form says nothing about who has an account.
    """

    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    @property
    def extra_email_context(self) -> dict[str, str]:
        # Links point at SITE_URL, as the digest's do, never at the Host header sent.
        return {"site_url": settings.SITE_URL.rstrip("/")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the new password from a valid link; a used, expired or altered link is refused."""

    form_class = SetPasswordForm
    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever reset the password owns the address: let them sign in at once, even if
        # someone guessing locked the username out (its addresses stay counted).
        forget_failed_sign_ins(username=self.user.get_username())
        return response


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
