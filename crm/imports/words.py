"""The words a cell may use for a choice, in the active language, translated once.

Reading a status, a kind or yes/no compared each cell with every choice's translated
label: a ``gettext`` per choice per cell, about 20 µs each, the largest Python cost of a
deal import after reading the cells. The catalogues do not change while the process runs,
so the words are worked out once per language and choice class.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from django.db.models import Choices
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def choice_words(choices: type[Choices]) -> Mapping[str, str]:
    """Casefolded code or label (in the active language) -> the code, first choice first."""
    return _choice_words(choices, get_language())


@cache
def _choice_words(choices: type[Choices], language: str | None) -> Mapping[str, str]:
    words: dict[str, str] = {}
    for code, label in choices.choices:
        if not code:
            continue
        # As the per-cell comparison did: the first choice holding a word wins it.
        words.setdefault(str(code).casefold(), code)
        words.setdefault(str(label).casefold(), code)
    return words


def yes_no_words() -> tuple[frozenset[str], frozenset[str]]:
    """The words for yes and for no, casefolded, ours and the active language's."""
    return _yes_no_words(get_language())


@cache
def _yes_no_words(language: str | None) -> tuple[frozenset[str], frozenset[str]]:
    return (
        frozenset({"yes", "y", "true", "1", str(_("yes")).casefold()}),
        frozenset({"no", "n", "false", "0", str(_("no")).casefold()}),
    )
