"""What every template may link to among the project's own pages, whichever app it belongs to."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse_lazy

# The admins' settings overview lists every app's settings, so it is the project's page; the
# apps' own settings pages link back to it through ``settings_url``, without naming crm, as
# Django's apps reach the login page through settings.LOGIN_URL.
SETTINGS_URL = reverse_lazy("crm:settings")


def project_pages(request: HttpRequest) -> dict[str, object]:
    """``settings_url``: the settings overview (resolved only when a template shows it)."""
    return {"settings_url": SETTINGS_URL}
