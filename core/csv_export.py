"""CSV downloads of visible records, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets strip first) is prefixed with an apostrophe, so that a name such as
``=HYPERLINK(...)`` typed by a prospect is shown as text instead of run as a formula.

Rows stream from a server-side cursor as plain value tuples (``values_list``), so an export
of any size holds one chunk in memory and builds no model instances. Columns name ORM
lookups; a column over a field with choices shows the choice's label.
"""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

from core.custom_fields.kinds import csv_value

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


class CsvColumn:
    """A header and the lookups whose values fill the cell, joined by a space.

    ``CsvColumn(_("Contact"), "contact__first_name", "contact__last_name")``
    """

    def __init__(self, header: str | Promise, *lookups: str) -> None:
        if not lookups:
            raise ValueError("A CSV column needs at least one lookup.")
        self.header = header
        self.lookups = lookups

    def __repr__(self) -> str:
        return f"CsvColumn({str(self.header)!r}, {', '.join(map(repr, self.lookups))})"


class CustomValueColumn(CsvColumn):
    """A custom field's column: its value as the CSV import reads it back (``yes``/``no``,
    choice keys joined by commas, decimals and ISO dates as stored)."""

    def __init__(self, header: str | Promise, key: str, kind: str) -> None:
        super().__init__(header, f"custom_fields__{key}")
        self.kind = kind

    def cell(self, value: object) -> str:
        return csv_value(self.kind, value)


def spreadsheet_safe(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        text = timezone.localtime(value).isoformat(timespec="minutes")
    elif isinstance(value, dt.date | Decimal | int | float) and not isinstance(value, bool):
        # Numbers and dates are written by us, not typed by users: keep "-5" a number.
        return str(value)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _choice_labels(model: type[Model], lookup: str) -> dict[object, str] | None:
    """The labels of the field at the end of ``lookup``, translated once per export."""
    try:
        field = get_fields_from_path(model, lookup)[-1]
    except FieldDoesNotExist:  # an annotation
        return None
    choices = getattr(field, "flatchoices", None)
    return {value: str(label) for value, label in choices} if choices else None


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(
    columns: Sequence[CsvColumn], rows: Iterable[tuple[object, ...]], model: type[Model]
) -> Iterator[str]:
    """The header line, then one line per row of values in the order of the columns' lookups."""
    labels = [
        None if isinstance(column, CustomValueColumn) else _choice_labels(model, lookup)
        for column in columns
        for lookup in column.lookups
    ]
    # Each column takes the next len(lookups) values of the flat row tuple.
    spans: list[slice] = []
    start = 0
    for column in columns:
        spans.append(slice(start, start + len(column.lookups)))
        start += len(column.lookups)
    writer = csv.writer(_Echo())
    yield writer.writerow([str(column.header) for column in columns])
    for row in rows:
        values = [
            label_map.get(value, value) if label_map else value
            for value, label_map in zip(row, labels, strict=True)
        ]
        cells = []
        for column, span in zip(columns, spans, strict=True):
            if isinstance(column, CustomValueColumn):
                cells.append(spreadsheet_safe(column.cell(values[span][0])))
                continue
            parts = [value for value in values[span] if value not in (None, "")]
            if len(parts) == 1:
                cells.append(spreadsheet_safe(parts[0]))
            else:
                cells.append(spreadsheet_safe(" ".join(str(part) for part in parts)))
        yield writer.writerow(cells)


def plain_csv_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each row's cells as a CSV line, exactly as given (the caller chose the header).

    For files that go back into an import: there an apostrophe would change the values
    (a phone number "+49 …", an amount "-5"), so cells are not made spreadsheet-safe.
    """
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(["" if cell is None else str(cell) for cell in row])


def streaming_csv(filename: str, lines: Iterator[str]) -> StreamingHttpResponse:
    """A download of ``lines``, named ``<filename>-<today>.csv``."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


def csv_response(
    filename: str, columns: Sequence[CsvColumn], queryset: QuerySet
) -> StreamingHttpResponse:
    lookups = [lookup for column in columns for lookup in column.lookups]
    rows = queryset.values_list(*lookups).iterator(chunk_size=CHUNK_SIZE)
    return streaming_csv(filename, csv_rows(columns, rows, queryset.model))
