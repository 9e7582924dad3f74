from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services.profile import time_zone_names
from accounts.services.tokens import NAME_MAX_LENGTH
from core.forms import StyledForm


class LoginForm(AuthenticationForm):
    """Django's login form with the attributes the styled login page needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
        # Let password managers fill the form; autofocus saves a click on every sign-in.
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class PasswordResetForm(StyledForm, auth_forms.PasswordResetForm):
    """Django's: it e-mails every active user with that address, and tells no one else.

    Unlike Django's, it also writes to users without a usable password: users created by an
    import have none and choose their first one here (the site has no other sign-in for
    such a password to stand aside for).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autofocus=True)

    def get_users(self, email: str) -> Iterator[User]:
        for user in User.objects.filter(email__iexact=email, is_active=True):
            # As Django compares: the address as typed, not merely ignoring ASCII case.
            if email.casefold() == user.email.casefold():
                yield user


class SetPasswordForm(StyledForm, auth_forms.SetPasswordForm):
    """Django's, with the password validators of ``AUTH_PASSWORD_VALIDATORS``."""

    describes_help_text = True


def time_zone_choices() -> list[tuple[str, str | Promise]]:
    return [("", _("Site default")), *((name, name) for name in time_zone_names())]


class ProfileForm(StyledForm):
    """A user's own settings; ``accounts.services.profile.update_profile`` holds the rules."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        required=False,
        help_text=_("Times are shown in this zone; empty means the site's default."),
    )
    daily_digest = forms.BooleanField(
        label=_("Send me the daily digest"),
        required=False,
        help_text=_("A morning e-mail with stale deals, overdue tasks and leads to act on."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    @classmethod
    def for_user(cls, user: User, data: Any = None) -> ProfileForm:
        initial = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "time_zone": user.time_zone,
            "daily_digest": user.daily_digest,
        }
        return cls(data, initial=initial)


class ApiTokenForm(StyledForm):
    EXPIRY_CHOICES = [
        ("", _("Never")),
        ("30", _("In 30 days")),
        ("90", _("In 90 days")),
        ("365", _("In a year")),
    ]

    name = forms.CharField(
        label=_("Token name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. the script or system using it."),
    )
    expires_in = forms.ChoiceField(label=_("Expires"), choices=EXPIRY_CHOICES, required=False)

    def expires_at(self) -> dt.datetime | None:
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + dt.timedelta(days=int(days)) if days else None
