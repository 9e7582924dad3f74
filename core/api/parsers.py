"""The JSON parser every endpoint reads request bodies with: bounded in depth.

Python's ``json`` recurses once per level of nesting, so a body of a thousand ``[`` is a
RecursionError (a server error) instead of a parse error; and a body nested a few hundred
levels deep that does parse costs every later step that walks it. No request this API
takes nests deeper than a few levels, so deeper bodies are refused before parsing.
"""

from __future__ import annotations

import codecs
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # untyped, C-accelerated
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

MAX_DEPTH = 64

# What changes the depth (brackets) and what hides brackets from it (strings).
_STRUCTURE = re.compile(r'["\[\]{}]')


def exceeds_depth(text: str, limit: int) -> bool:
    """Whether arrays and objects in ``text`` nest more than ``limit`` levels deep.

    Strings are skipped with the standard library's own string scanner, in linear time.
    Malformed text answers False: the JSON parser then says what is wrong with it.
    """
    depth = 0
    match = _STRUCTURE.search(text)
    while match is not None:
        char, position = match.group(), match.end()
        if char == '"':
            try:
                position = scanstring(text, position)[1]
            except ValueError:
                return False
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
        match = _STRUCTURE.search(text, position)
    return False


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``max_depth`` (400)."""

    max_depth = MAX_DEPTH

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # The whole body at once: Django has already read it (DATA_UPLOAD_MAX_MEMORY_SIZE).
        try:
            text = codecs.decode(stream.read(), encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        if exceeds_depth(text, self.max_depth):
            raise ParseError(
                _("JSON nested too deeply: at most %(limit)d levels of arrays and objects.")
                % {"limit": self.max_depth}
            )
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
