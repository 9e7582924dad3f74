"""Which stage and which of our choices each of a file's values means, decided before writing.

Another CRM's stages and picklists have their own names ("Closed Won", "Cold Call",
"Working - Contacted"). Before an import writes anything, the file is read once to list
each mapped stage or choice column's distinct values with their counts, and each value is
given a proposal: the choice the importer made before, the vendor's convention (a preset's
won/lost values and value mappings), or a stage or choice of the same name. The page and
``import_csv`` show or apply the proposals; what is decided goes to ImportOptions.stages
and ImportOptions.values, which the writers and ``RowCleaner`` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from contacts.models import LeadSource, LeadStatus
from crm.imports.kinds import Field, fields_of
from crm.imports.models import ImportKind
from crm.imports.options import ImportOptions
from crm.imports.parsing import CsvSource, ImportFileError
from crm.imports.presets import Preset, preset_options
from pipeline.models import OpportunityStatus, Pipeline, Stage, StageKind, board_rank

STAGE = "stage"
# More distinct values than this is not a stage or choice column but a wrong mapping.
MAX_DISTINCT_VALUES = 200

# Fields whose values are mapped onto our choices, by kind; a field counts once it exists
# in the kind (deal status arrives with the deal history fields).
CHOICE_FIELDS: Mapping[str, Mapping[str, type[models.TextChoices]]] = {
    ImportKind.LEADS: {"source": LeadSource, "status": LeadStatus},
    ImportKind.DEALS: {"status": OpportunityStatus},
}


@dataclass(frozen=True)
class FileValue:
    value: str  # as the file first writes it
    count: int


def fields_to_map(kind: str, mapping: Mapping[str, str], known: Sequence[Field]) -> list[str]:
    """The mapped fields whose values the importer maps: a deal's stage, then choices."""
    names = {field.name for field in known}
    wanted = [STAGE] if kind == ImportKind.DEALS else []
    wanted += list(CHOICE_FIELDS.get(kind, {}))
    return [name for name in wanted if name in names and mapping.get(name)]


def choices_of(kind: str, field_name: str) -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in CHOICE_FIELDS[kind][field_name].choices]


def distinct_values(
    source: CsvSource, mapping: Mapping[str, str], field_names: Iterable[str]
) -> dict[str, list[FileValue]]:
    """Each field's distinct non-empty values in the whole file, most frequent first.

    Values that differ only in case or surrounding spaces are one value, written as the
    file first writes it. Raises ImportFileError when a column has more than
    MAX_DISTINCT_VALUES of them.
    """
    header, rows = source.read()
    positions = {name: index for index, name in enumerate(header)}
    columns = {name: positions[mapping[name]] for name in field_names if mapping[name] in positions}
    counts: dict[str, dict[str, list]] = {name: {} for name in columns}
    try:
        for row in rows:
            for name, index in columns.items():
                cell = row.cells[index].strip() if index < len(row.cells) else ""
                if not cell:
                    continue
                seen = counts[name].setdefault(cell.casefold(), [cell, 0])
                seen[1] += 1
                if len(counts[name]) > MAX_DISTINCT_VALUES:
                    raise ImportFileError(
                        _(
                            "The column “%(column)s” has more than %(count)s different "
                            "values; is it the right column for %(field)s?"
                        )
                        % {"column": mapping[name], "count": MAX_DISTINCT_VALUES, "field": name}
                    )
    finally:
        rows.close()
    return {
        name: sorted(
            (FileValue(value, count) for value, count in found.values()),
            key=lambda item: (-item.count, item.value.casefold()),
        )
        for name, found in counts.items()
    }


class StageChoices:
    """The stages a file's stage values may go to: those in use in active pipelines."""

    def __init__(self) -> None:
        stages = Stage.objects.in_use().filter(pipeline__is_active=True).select_related("pipeline")
        # Pipelines in their order, and each pipeline's stages as its board shows them.
        self.stages: list[Stage] = sorted(
            stages,
            key=lambda s: (s.pipeline.position, s.pipeline.name, *board_rank(s), s.pk),
        )
        self.by_id = {stage.pk: stage for stage in self.stages}
        self.default_pipeline: Pipeline | None = self.stages[0].pipeline if self.stages else None

    def grouped(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """(pipeline name, [(stage id, stage name)]) in board order, for a select."""
        groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
        for stage in self.stages:
            groups.setdefault(stage.pipeline_id, (stage.pipeline.name, []))[1].append(
                (stage.pk, stage.name)
            )
        return list(groups.values())

    def named(self, name: str) -> Stage | None:
        """The stage called ``name`` (any case): in the first pipeline, else the only one."""
        wanted = name.strip().casefold()
        found = [stage for stage in self.stages if stage.name.casefold() == wanted]
        first = [stage for stage in found if self._in_default(stage)]
        if first:
            return first[0]
        return found[0] if len(found) == 1 else None

    def has(self, name: str) -> bool:
        """Whether any pipeline has a stage called ``name`` (any case)."""
        wanted = name.strip().casefold()
        return any(stage.name.casefold() == wanted for stage in self.stages)

    def of_kind(self, kind: str) -> Stage | None:
        """The first pipeline's won or lost stage."""
        return next((s for s in self.stages if s.kind == kind and self._in_default(s)), None)

    def _in_default(self, stage: Stage) -> bool:
        return self.default_pipeline is not None and stage.pipeline_id == self.default_pipeline.pk


def proposed_stages(
    values: Iterable[FileValue],
    stages: StageChoices,
    preset: Preset | None,
    chosen: Mapping[str, int],
) -> dict[str, int | None]:
    """Each file value's stage: the earlier choice, the same name, the vendor's won/lost."""
    earlier = {value.strip().casefold(): pk for value, pk in chosen.items() if pk in stages.by_id}
    proposals: dict[str, int | None] = {}
    for item in values:
        stage = None
        if item.value.casefold() in earlier:
            stage = stages.by_id[earlier[item.value.casefold()]]
        if stage is None:
            stage = stages.named(item.value)
        if stage is None and preset is not None:
            kind = preset.stage_kind(item.value)
            if kind:
                stage = stages.of_kind(StageKind.WON if kind == "won" else StageKind.LOST)
        proposals[item.value] = stage.pk if stage else None
    return proposals


def proposed_values(
    values: Iterable[FileValue],
    choices: Sequence[tuple[str, str]],
    chosen: Mapping[str, str],
) -> dict[str, str | None]:
    """Each file value's choice: the earlier (or the vendor's) mapping, else the same name."""
    codes = {code for code, _label in choices}
    earlier = {value.strip().casefold(): ours for value, ours in chosen.items() if ours in codes}
    by_name = {}
    for code, label in choices:
        by_name[label.casefold()] = code
        by_name[code.casefold()] = code
    return {
        item.value: earlier.get(item.value.casefold()) or by_name.get(item.value.casefold())
        for item in values
    }


@dataclass
class ValueSection:
    """One mapped column's distinct values, each with its proposal, and what they may become."""

    field: str
    label: str
    column: str
    values: list[FileValue]
    proposals: dict[str, int | str | None]
    # For a select: (id, name) pairs, grouped by pipeline for stages.
    choices: list[Any]


def value_sections(
    *,
    kind: str,
    mapping: Mapping[str, str],
    known: Sequence[Field],
    found: Mapping[str, list[FileValue]],
    options: ImportOptions,
    preset: Preset | None,
) -> list[ValueSection]:
    """The step's sections, stage first; a column without values has none. One query (stages)."""
    labels = {field.name: str(field.label) for field in known}
    sections = []
    for name, values in found.items():
        if not values:
            continue
        if name == STAGE:
            stages = StageChoices()
            proposals: dict[str, int | str | None] = dict(
                proposed_stages(values, stages, preset, options.stages)
            )
            choices: list[Any] = stages.grouped()
        else:
            choices = choices_of(kind, name)
            proposals = dict(proposed_values(values, choices, options.values.get(name, {})))
        sections.append(
            ValueSection(name, labels.get(name, name), mapping[name], values, proposals, choices)
        )
    return sections


def decided_options(
    *,
    kind: str,
    source: CsvSource,
    mapping: Mapping[str, str],
    preset: Preset | None,
    stages: Sequence[tuple[str, str]],
    values: Sequence[tuple[str, str, str]],
) -> ImportOptions:
    """The options ``import_csv`` runs with: the preset's, then the command line's.

    ``stages``: (their value, our stage's name) pairs; ``values``: (field, their value, ours)
    triples. Every stage value of the file must end up with a stage: values named like one
    of ours and the vendor's won and lost values find theirs; for the rest, ImportFileError
    lists them before anything is written. Reads the whole file once for a deals import.
    """
    known = fields_of(kind)
    options = preset_options(preset) if preset is not None else ImportOptions()
    names = {field.name for field in known}
    choice_fields = [name for name in CHOICE_FIELDS.get(kind, {}) if name in names]
    for name, theirs, ours in values:
        if name not in choice_fields:
            raise ImportFileError(
                _("--value: a %(kind)s import maps the values of %(fields)s, not of “%(field)s”.")
                % {"kind": kind, "fields": ", ".join(choice_fields) or "-", "field": name}
            )
        code = proposed_values([FileValue(ours, 1)], choices_of(kind, name), {})[ours]
        if code is None:
            raise ImportFileError(
                _("--value %(field)s: “%(ours)s” is not one of %(choices)s.")
                % {
                    "field": name,
                    "ours": ours,
                    "choices": ", ".join(code for code, _label in choices_of(kind, name)),
                }
            )
        options.values.setdefault(name, {})[theirs] = code
    if STAGE not in fields_to_map(kind, mapping, known):
        if stages:
            raise ImportFileError(_("--stage needs a column for the stage."))
        return options
    choices = StageChoices()
    chosen: dict[str, int] = {}
    for theirs, ours in stages:
        stage = choices.named(ours)
        if stage is None:
            raise ImportFileError(
                _("--stage “%(theirs)s=%(ours)s”: no stage “%(ours)s” in an active pipeline.")
                % {"theirs": theirs, "ours": ours}
            )
        chosen[theirs] = stage.pk
    found = distinct_values(source, mapping, [STAGE])[STAGE]
    proposals = proposed_stages(found, choices, preset, chosen)
    # A name found in another pipeline than the first is looked up row by row.
    missing = [
        item for item in found if proposals[item.value] is None and not choices.has(item.value)
    ]
    if missing:
        raise ImportFileError(
            _(
                "No stage for these stage values of the file: %(values)s. Add "
                '--stage "Their name=Our stage" for each; our stages: %(ours)s.'
            )
            % {
                "values": ", ".join(f"“{item.value}” ({item.count})" for item in missing),
                "ours": ", ".join(stage.name for stage in choices.stages),
            }
        )
    options.stages = {value: pk for value, pk in proposals.items() if pk is not None}
    return options
