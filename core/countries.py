"""Countries as ISO 3166-1 alpha-2 codes (DE, IT, ID), from pycountry's maintained list.

A pattern such as ``[A-Z]{2}`` would accept ``XX`` or ``UK`` (the code is GB); the list
refuses them, so territories, filters and reports group every company of a country together.
"""

from __future__ import annotations

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
INVALID_MESSAGE = _("“%(value)s” is not an ISO 3166 country code; use one such as DE or US.")


def normalise_country(value: object) -> str:
    """``value`` as a code would be stored: trimmed and in capitals ("" if not text)."""
    return value.strip().upper() if isinstance(value, str) else ""


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES


def validate_country(value: object) -> None:
    """Refuse anything but an ISO 3166-1 alpha-2 code in capitals (callers normalise first)."""
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        raise ValidationError(INVALID_MESSAGE, code="invalid_country", params={"value": value})
