"""htmx-aware view plumbing: a login check that htmx requests can follow, and whether a
request asks for a fragment or the whole page."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request every view gets: django-htmx's middleware adds ``htmx``."""

    htmx: HtmxDetails


def login_required_for_htmx(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` that sends htmx requests to the login page as a whole page.

    A plain redirect would be followed by the XMLHttpRequest and the login form swapped
    into the board (the poller would do that every 3 s once the session expired).
    """

    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            page = request.htmx.current_url_abs_path or request.get_full_path()
            login = resolve_url(settings.LOGIN_URL)
            location = f"{login}?{urllib.parse.urlencode({'next': page})}"
            return HttpResponse(status=401, headers={"HX-Redirect": location})
        return redirect_to_login(request.get_full_path())

    return wrapped


def is_fragment_request(request: HttpRequest) -> bool:
    """Whether htmx asks for a fragment; on a history-cache miss it asks for the whole page."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request
