"""System checks for settings that would otherwise fail at the first request that reads them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

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
