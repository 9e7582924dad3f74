"""Lets hypothesis-jsonschema 0.23 (what schemathesis 3.x requires) run on current Hypothesis.

hypothesis-jsonschema builds JSON objects with Hypothesis's internal ``many`` helper as
``while elements.more(): ...``. Recent Hypothesis replaced ``more()`` with iteration
(``with many(...) as elements: for _ in elements: ...``), so every generated object
(request bodies, query strings) fails with AttributeError. ``LegacyMany`` offers the old
``more()``/``reject()`` on top of the new iterator, and ``install()`` hands it to
hypothesis-jsonschema alone; Hypothesis's own strategies keep the real class.

Remove this module once the project moves to schemathesis 4 or pins a Hypothesis that
still has ``many.more``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema


class LegacyMany:
    """``many(...)`` with the ``more()`` loop hypothesis-jsonschema was written for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._many = conjecture_utils.many(*args, **kwargs)
        self._many.__enter__()
        self._elements = iter(self._many)

    def more(self) -> bool:
        try:
            next(self._elements)
        except StopIteration:
            self._many.__exit__(None, None, None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


def install() -> None:
    if hasattr(conjecture_utils.many, "more"):
        return  # a Hypothesis with the old interface needs no help
    _from_schema.cu = SimpleNamespace(many=LegacyMany)
