"""Countries as ISO 3166-1 alpha-2 codes (DE, IT, ID), from pycountry's maintained list.

A pattern such as ``[A-Z]{2}`` would accept ``XX`` or ``UK`` (the code is GB); the list
refuses them, so territories, filters and reports group every company of a country together.

Files from other systems write countries as their users typed them: "United States",
"Deutschland", "Germania", "Jerman", "USA", "UK". ``country_code`` reads those as codes: the
alpha-2 and alpha-3 codes, pycountry's English names (short, official and common), the
forms people use that ISO does not ("UK", "Great Britain"), and the names in the languages
this CRM's users work in, from pycountry's bundled translations (gettext domain iso3166-1).
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
INVALID_MESSAGE = _("“%(value)s” is not an ISO 3166 country code; use one such as DE or US.")
UNKNOWN_NAME_MESSAGE = _(
    "“%(value)s” is not a country this CRM knows; use its ISO code (such as DE or US) "
    "or its name in English, German, Italian or Indonesian."
)

# The languages whose country names are read, besides English (the users' languages).
NAME_LANGUAGES = ("de", "it", "id")
# Names in everyday use that ISO 3166 lists under another name, or not at all.
COMMON_FORMS = {
    "GB": ("UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales", "Inggris"),
    "US": ("U.S.", "U.S.A.", "United States of America", "America"),
    "NL": ("Holland",),
    "RU": ("Russia",),
    "CZ": ("Czech Republic",),
    "TR": ("Turkey", "Türkiye"),
    "KR": ("Korea",),
    "AE": ("UAE", "Emirates"),
}
_NOT_WORD = re.compile(r"[\W_]+")
_LEADING_ARTICLE = re.compile(r"^the ")


def normalise_country(value: object) -> str:
    """``value`` as a code would be stored: trimmed and in capitals ("" if not text)."""
    return value.strip().upper() if isinstance(value, str) else ""


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES


def validate_country(value: object) -> None:
    """Refuse anything but an ISO 3166-1 alpha-2 code in capitals (callers normalise first)."""
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        raise ValidationError(INVALID_MESSAGE, code="invalid_country", params={"value": value})


def name_key(name: str) -> str:
    """A name as it is compared: without case, accents, punctuation or a leading "the"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Dots vanish ("U.S.A." is "usa"); other punctuation separates words.
    words = _NOT_WORD.sub(" ", letters.replace(".", "")).strip()
    return _LEADING_ARTICLE.sub("", words)


def _english_names(country: object) -> Iterator[str]:
    for attribute in ("name", "official_name", "common_name"):
        name = getattr(country, attribute, None)
        if name:
            yield name


def _tiers() -> Iterator[list[tuple[str, str]]]:
    """(name, code) pairs from the surest to the loosest; an earlier tier wins a clash."""
    countries = list(pycountry.countries)
    yield [(country.alpha_2, country.alpha_2) for country in countries]
    yield [(country.alpha_3, country.alpha_2) for country in countries]
    yield [(name, country.alpha_2) for country in countries for name in _english_names(country)]
    yield [(name, code) for code, names in COMMON_FORMS.items() for name in names]
    for language in NAME_LANGUAGES:
        translation = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        )
        yield [
            (translation.gettext(name), country.alpha_2)
            for country in countries
            for name in _english_names(country)
        ]


def _index(tiers: Iterable[list[tuple[str, str]]]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for tier in tiers:
        found: dict[str, str] = {}
        clashing: set[str] = set()
        for name, code in tier:
            key = name_key(name)
            if not key or key in codes:
                continue
            if found.setdefault(key, code) != code:
                clashing.add(key)
        # A name two countries share within one tier names neither: the row asks instead.
        codes.update((key, code) for key, code in found.items() if key not in clashing)
    return codes


@cache
def _codes_by_name() -> dict[str, str]:
    return _index(_tiers())


def country_code(value: str) -> str | None:
    """The alpha-2 code ``value`` names (a code, or a name in a known language), else None."""
    return _codes_by_name().get(name_key(value))
