"""Vendor exports the import knows by their header: Salesforce, HubSpot, Pipedrive.

Each export is a JSON file in ``presets/`` (the format is in its README-like contract:
vendor, label, kind, source, header, mapping, date_order, won, lost, values). The files are
read once per process. A file is recognised as an export when all of the preset's
identifying columns are in its header, ignoring case; the preset then proposes the whole
mapping (its columns for the fields the kind has) and the decisions that come with the
vendor: the order its dates are written in and how its choice values translate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from crm.imports.kinds import Field
from crm.imports.models import ImportKind
from crm.imports.options import DateOrder, ImportOptions

PRESETS_DIR = Path(__file__).with_name("presets")
NAME_MAX_LENGTH = 60  # ImportJob.preset


@dataclass(frozen=True)
class Preset:
    name: str  # the file's name without ".json": what ImportJob.preset keeps
    vendor: str
    label: str
    kind: str
    source: str
    header: tuple[str, ...]
    # Field -> the columns that may hold it, the first one present wins.
    mapping: Mapping[str, tuple[str, ...]]
    date_order: str = ""
    won: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    # Field -> {the vendor's value: ours}.
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def matches(self, header: Iterable[str]) -> bool:
        present = {name.strip().casefold() for name in header}
        return all(name.casefold() in present for name in self.header)

    def stage_kind(self, value: str) -> str:
        """ "won" or "lost" when the vendor writes ``value`` for a won or lost deal, else ""."""
        wanted = value.strip().casefold()
        if wanted in {name.casefold() for name in self.won}:
            return "won"
        if wanted in {name.casefold() for name in self.lost}:
            return "lost"
        return ""


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ImproperlyConfigured(f"{where}: “{key}” must be a string or a list of strings.")
    return tuple(value)


def _preset(path: Path) -> Preset:
    where = f"Import preset {path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ImproperlyConfigured(f"{where}: not valid JSON ({error}).") from error
    missing = [key for key in ("vendor", "label", "kind", "header", "mapping") if key not in data]
    if missing:
        raise ImproperlyConfigured(f"{where}: missing {', '.join(missing)}.")
    if data["kind"] not in ImportKind.values:
        raise ImproperlyConfigured(f"{where}: unknown kind “{data['kind']}”.")
    if data.get("date_order", "") not in {"", *DateOrder.values}:
        raise ImproperlyConfigured(f"{where}: date_order must be empty, dmy or mdy.")
    header = _strings(data, "header", where)
    if not header:
        raise ImproperlyConfigured(f"{where}: the header names no column.")
    mapping = {name: _strings(data["mapping"], name, where) for name in data["mapping"]}
    values = data.get("values", {})
    if not all(
        isinstance(pairs, dict) and all(isinstance(v, str) for v in pairs.values())
        for pairs in values.values()
    ):
        raise ImproperlyConfigured(f"{where}: values must map a field to {{value: ours}}.")
    name = path.stem
    if len(name) > NAME_MAX_LENGTH:
        raise ImproperlyConfigured(f"{where}: the name is longer than {NAME_MAX_LENGTH}.")
    return Preset(
        name=name,
        vendor=data["vendor"],
        label=data["label"],
        kind=data["kind"],
        source=data.get("source", ""),
        header=header,
        mapping=mapping,
        date_order=data.get("date_order", ""),
        won=_strings(data, "won", where),
        lost=_strings(data, "lost", where),
        values=values,
    )


@cache
def load_presets(directory: Path = PRESETS_DIR) -> tuple[Preset, ...]:
    """Every preset file, by name; a broken file raises ImproperlyConfigured naming it."""
    return tuple(_preset(path) for path in sorted(directory.glob("*.json")))


def preset_named(name: str) -> Preset | None:
    return next((preset for preset in load_presets() if preset.name == name), None)


def recognise(kind: str, header: Sequence[str]) -> Preset | None:
    """The ``kind`` export whose identifying columns are all in ``header``, if any.

    When several match, the one naming more identifying columns wins (a report export that
    also carries the Data Loader's ``Id`` is still recognised by its more specific header),
    then the one whose mapping finds more of the file's columns, then the first by name, so
    that the answer never depends on the order files are read in.
    """
    present = {name.strip().casefold() for name in header}

    def found_columns(preset: Preset) -> int:
        return sum(
            any(column.casefold() in present for column in columns)
            for columns in preset.mapping.values()
        )

    candidates = [p for p in load_presets() if p.kind == kind and p.matches(header)]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (-len(p.header), -found_columns(p), p.name))


def preset_mapping(
    preset: Preset, header: Sequence[str], fields: Sequence[Field]
) -> dict[str, str]:
    """Field -> the file's column for each of ``fields`` the preset has a column for.

    ``fields``: the kind's fields as they are now (``fields_of``); a preset naming a field
    the kind does not have (yet) proposes nothing for it.
    """
    columns = {name.strip().casefold(): name for name in header}
    mapping: dict[str, str] = {}
    for kind_field in fields:
        for column in preset.mapping.get(kind_field.name, ()):
            if column.casefold() in columns:
                mapping[kind_field.name] = columns[column.casefold()]
                break
    return mapping


def preset_options(preset: Preset) -> ImportOptions:
    """What the vendor's export decides before anyone is asked: date order, value mappings."""
    return ImportOptions(
        date_order=preset.date_order,
        values={name: dict(pairs) for name, pairs in preset.values.items()},
    )
