"""What an import says about the rows it rejected: every reason of a row, in one cell.

The rejected rows go back to the user as the file they uploaded, cut down to those rows,
with a "Reason" column after the others: fixed and uploaded again, the file imports the
rows it rejected (the Reason column is left unmapped). The web report and ``import_csv
--rejected`` write the same file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby

from django.utils.translation import gettext as _

from crm.imports.kinds import FIELDS
from crm.imports.models import ImportJob, ImportRejection, RejectedRow
from crm.imports.writers import Rejection

REASON_SEPARATOR = " | "
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class RejectedLine:
    """A rejected row: the line it starts on, its cells as the file had them, its problems."""

    line: int
    cells: list[str]
    problems: list[Rejection]


def reason_text(kind: str, problems: Iterable[tuple[str, str]]) -> str:
    """Every (field, message) of a row as one text, each message led by its field's label.

    A message that already starts with the label ("Title is required.") is left as it is;
    custom fields' messages name their label themselves.
    """
    labels = {field.name: str(field.label) for field in FIELDS.get(kind, ())}
    parts = []
    for field_name, message in problems:
        label = labels.get(field_name, "")
        if label and not message.startswith(label):
            message = f"{label}: {message}"
        parts.append(message)
    return REASON_SEPARATOR.join(parts)


class ReportFile:
    """The lines of the rejected-rows file for an upload's header, row by row."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        reason = _("Reason")
        names = [name.casefold() for name in self.header]
        # A file downloaded from a report and imported again has the column already.
        for name in {reason.casefold(), "reason"}:
            if name in names:
                self.reason_index = names.index(name)
                break
        else:
            self.reason_index = len(self.header)
            self.header.append(reason)

    def row(self, cells: Sequence[str], reason: str) -> list[str]:
        width = max(len(self.header), len(cells))
        filled = [*cells, *[""] * (width - len(cells))]
        filled[self.reason_index] = reason
        return filled


def job_report_rows(job: ImportJob) -> Iterator[list[str]]:
    """The header, then each rejected line of ``job`` with its cells and every reason.

    Two streamed queries whatever the number of rows: the problems and the stored cells,
    both by line, merged here. A line without stored cells (an import run before cells
    were kept) still gets its reasons, with empty cells.
    """
    report = ReportFile(job.header)
    yield report.header
    problems = (
        ImportRejection.objects.filter(job=job)
        .order_by("line", "pk")
        .values_list("line", "field", "message")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    stored = (
        RejectedRow.objects.filter(job=job)
        .order_by("line")
        .values_list("line", "cells")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    next_cells = next(stored, None)
    for line, group in groupby(problems, key=lambda problem: problem[0]):
        while next_cells is not None and next_cells[0] < line:
            next_cells = next(stored, None)
        cells: list[str] = []
        if next_cells is not None and next_cells[0] == line:
            cells = list(next_cells[1])
        reason = reason_text(job.kind, ((field, message) for _line, field, message in group))
        yield report.row(cells, reason)
