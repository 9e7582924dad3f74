"""Defining and changing custom fields: keys, choices, and changes the stored values allow.

The apps' services call these inside their own transaction and permission check; nothing
here knows which records a definition is for beyond ``definition.record_model()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.custom_fields.kinds import CHOICE_KINDS, Choice, FieldKind, fits
from core.custom_fields.models import CustomFieldDefinition

KEY_MAX_LENGTH = 50
_CHOICE_LINE = re.compile(r"^\s*(?:(?P<key>[a-z0-9_]+)\s*\|\s*)?(?P<label>.+?)\s*$")


def make_key(label: str, taken: Iterable[str]) -> str:
    """A key for a new field from its label: lower-case letters, digits and underscores,
    starting with a letter, unused among ``taken`` (archived fields' keys included)."""
    base = re.sub(r"_+", "_", slugify(label).replace("-", "_")).strip("_")
    if not base or not base[0].isalpha():
        base = f"field_{base}".rstrip("_")
    base = base[: KEY_MAX_LENGTH - 4]
    used = set(taken)
    key, number = base, 2
    while key in used:
        key, number = f"{base}_{number}", number + 1
    return key


def parse_choice_lines(text: str) -> list[Choice]:
    """Choices as an admin types them, one a line: "Label", or "key | Label" to keep a key
    while renaming its label. New choices get a key from their label."""
    choices: list[Choice] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _CHOICE_LINE.match(line)
        assert match is not None  # the label part matches any non-blank line
        key = match.group("key") or make_key(match.group("label"), [c.key for c in choices])
        choices.append(Choice(key, match.group("label")))
    return choices


def choice_lines(choices: Sequence[Choice]) -> str:
    return "\n".join(f"{choice.key} | {choice.label}" for choice in choices)


def check_choices(kind: str, choices: Sequence[Choice]) -> list[dict[str, str]]:
    """The choices as stored; ValidationError on ``choices`` when they do not fit ``kind``."""
    if kind not in CHOICE_KINDS:
        return []
    if not choices:
        raise ValidationError({"choices": _("Give at least one choice.")})
    keys = [choice.key for choice in choices]
    if len(set(keys)) != len(keys):
        raise ValidationError({"choices": _("Each choice needs its own key.")})
    if any(len(choice.label) > 100 for choice in choices):
        raise ValidationError({"choices": _("Keep each choice under 100 characters.")})
    return [{"key": choice.key, "label": choice.label} for choice in choices]


@dataclass(frozen=True)
class ValueMisfit:
    """Records whose value of a field would not survive a change: how many, and the first."""

    count: int
    first: str


def find_misfits(
    definition: CustomFieldDefinition, kind: str, choices: Sequence[Choice]
) -> ValueMisfit | None:
    """Which stored values of ``definition`` would not be valid as ``kind`` with ``choices``.

    Reads only the records holding a value (``has_key``), a page of ids and values at a time.
    """
    model = definition.record_model()
    records: QuerySet = model._default_manager.filter(custom_fields__has_key=definition.key)
    count, first_pk = 0, None
    for pk, stored in (
        records.order_by("pk").values_list("pk", "custom_fields").iterator(chunk_size=2000)
    ):
        if not fits(kind, (stored or {}).get(definition.key), choices):
            count += 1
            first_pk = first_pk if first_pk is not None else pk
    if not count:
        return None
    return ValueMisfit(count, str(model._default_manager.get(pk=first_pk)))


def check_change(
    definition: CustomFieldDefinition, *, kind: str, choices: Sequence[Choice]
) -> None:
    """Refuse a change of kind, or a removed choice, while stored values would not fit."""
    old_keys = {choice.key for choice in definition.choice_list}
    removed = old_keys - {choice.key for choice in choices}
    if kind == definition.kind and not (kind in CHOICE_KINDS and removed):
        return
    if definition.pk is None:
        return
    misfit = find_misfits(definition, kind, choices)
    if misfit is None:
        return
    field = "kind" if kind != definition.kind else "choices"
    if field == "kind":
        message = ngettext(
            "%(count)d record holds a value that is not %(kind)s (first: %(first)s); "
            "change or empty it first.",
            "%(count)d records hold values that are not %(kind)s (first: %(first)s); "
            "change or empty them first.",
            misfit.count,
        ) % {"count": misfit.count, "kind": FieldKind(kind).label, "first": misfit.first}
    else:
        message = ngettext(
            "%(count)d record uses a choice you removed (first: %(first)s); "
            "change it first or keep the choice.",
            "%(count)d records use a choice you removed (first: %(first)s); "
            "change them first or keep the choice.",
            misfit.count,
        ) % {"count": misfit.count, "first": misfit.first}
    raise ValidationError({field: message})
