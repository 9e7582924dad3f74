"""System checks for settings that would otherwise fail at the first request that reads them,
or, under ``check --deploy``, quietly do less than they say."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from core.currencies import is_currency


@register()
def check_default_currency(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    code = getattr(settings, "DEFAULT_CURRENCY", "")
    if is_currency(code):
        return []
    return [
        Error(
            f"DEFAULT_CURRENCY is {code!r}, which is not an ISO 4217 currency code.",
            hint="Set DEFAULT_CURRENCY to a code such as EUR or USD.",
            id="core.E001",
        )
    ]


# Caches whose counters no two processes share, and what that does to a limit counted there.
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": (
        "keeps its entries in the memory of each process: API rate limits, and anything "
        "else counted in the cache, then count per process, so that every web process "
        "(gunicorn worker) lets the whole limit through"
    ),
    "django.core.cache.backends.dummy.DummyCache": (
        "stores nothing: API rate limits, and anything else counted in the cache, then "
        "never count at all"
    ),
}


@register(Tags.caches, Tags.security, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    consequence = PROCESS_LOCAL_CACHES.get(backend)
    if consequence is None:
        return []
    return [
        Warning(
            f"The default cache ({backend.rpartition('.')[2]}) {consequence}.",
            hint=(
                "Point REDIS_URL (or CACHE_URL) at a Redis that every web process shares, "
                "e.g. CACHE_URL=redis://127.0.0.1:6379/1."
            ),
            id="core.W001",
        )
    ]
