"""Content-Security-Policy for every response (Django 5.2 has none built in).

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

from django.http import HttpRequest, HttpResponse

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
