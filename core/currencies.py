"""The currencies a deal, a quota or a price may be in: ISO 4217 codes in use today.

The list comes from pycountry, which follows the ISO 4217 maintenance agency, rather than
from a pattern: ``XYZ`` looks like a code but names no money. Codes that ISO lists for
things that are not money a deal is priced in (precious metals, bond-market units, the
IMF's drawing right, "testing" and "no currency") are left out.
"""

from __future__ import annotations

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOT_MONEY = frozenset(
    {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"}
)
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies) - NOT_MONEY
INVALID_MESSAGE = _("“%(value)s” is not an ISO 4217 currency code; use one such as EUR or USD.")
SIGN_MESSAGE = _("“%(value)s” is a currency sign, not a code; write its ISO 4217 code, %(codes)s.")
# Signs people type in an amount's currency column, with the codes they may stand for. A
# sign is refused rather than read: "$" alone is a dozen currencies, and a file that uses
# signs is worth a look before its money is stored.
CURRENCY_SIGNS = {
    "€": ("EUR",),
    "US$": ("USD",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "₹": ("INR",),
    "RP": ("IDR",),
    "FR.": ("CHF",),
    "A$": ("AUD",),
    "C$": ("CAD",),
    "$": ("USD", "CAD", "AUD"),
}


def normalise_currency(value: object) -> str:
    """``value`` as a code would be stored: trimmed and in capitals ("" if not text)."""
    return value.strip().upper() if isinstance(value, str) else ""


def is_currency(code: str) -> bool:
    return code in CURRENCY_CODES


def validate_currency(value: object) -> None:
    """Refuse anything but an ISO 4217 code in capitals (callers normalise first)."""
    if not isinstance(value, str) or value not in CURRENCY_CODES:
        raise ValidationError(INVALID_MESSAGE, code="invalid_currency", params={"value": value})


def sign_message(value: str) -> str | None:
    """What to write instead of the currency sign ``value``; None if it is not one."""
    codes = CURRENCY_SIGNS.get(normalise_currency(value))
    if codes is None:
        return None
    return str(SIGN_MESSAGE) % {"value": value.strip(), "codes": " or ".join(codes)}
