"""Content-Security-Policy for every response (Django 5.2 has none built in), and the
CSRF failure page that the policy allows.

The policy allows only this origin's own files: no inline scripts or styles, no eval, no
CDN. That is why templates carry no ``<script>`` bodies, ``style=""`` attributes or
``hx-on``/``onclick`` handlers, and why htmx is configured not to inject its indicator
styles. The Django admin (5.2) passes as it is: its templates load their scripts from
files and pass data through ``data-`` attributes, and its JavaScript sets styles through
the CSSOM, which ``style-src 'self'`` allows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf
from django.shortcuts import render

HEADER = "Content-Security-Policy"

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # data: for the small SVGs Bootstrap's CSS embeds (select arrows, the navbar toggler).
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def build_policy(overrides: dict[str, str] | None = None) -> str:
    directives = {**POLICY, **(overrides or {})}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


DEFAULT_POLICY = build_policy()


class ContentSecurityPolicyMiddleware:
    """Add the policy unless the view set its own (see ``csp_override``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = DEFAULT_POLICY
        return response


def csp_override(**directives: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Relax or tighten single directives for one view, e.g. a third-party docs page.

    Keyword names use underscores for dashes: ``@csp_override(img_src="'self' data: https:")``.
    Use sparingly and say in a comment why the page needs it.
    """
    overrides = {name.replace("_", "-"): value for name, value in directives.items()}
    policy = build_policy(overrides)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response[HEADER] = policy
            return response

        return wrapped

    return decorator


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the site's own 403 page, which the policy above allows.

    Django's fallback page carries an inline ``<style>`` that the policy blocks, and its
    template hook (``403_csrf.html``) is rendered without the reason; this view passes the
    reason on, so that the page names the likely cause: cookies off, a Referer hidden, or
    a stale page. Rendering the page also sets a fresh CSRF cookie, so that a reload and a
    retry work.
    """
    context = {
        "cookie_missing": reason == csrf.REASON_NO_CSRF_COOKIE,
        "referer_missing": reason == csrf.REASON_NO_REFERER,
        "reason": reason if settings.DEBUG else "",
    }
    return render(request, "crm/csrf_failure.html", context, status=403)
