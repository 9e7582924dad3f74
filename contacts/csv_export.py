"""CSV downloads of visible records, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
spreadsheets strip first) is prefixed with an apostrophe, so that a name such as
``=HYPERLINK(...)`` typed by a prospect is shown as text instead of run as a formula.
Rows stream from a server-side cursor, so an export of any size holds one chunk in memory.
"""

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class CsvColumn:
    header: str | Promise
    # An attribute path ("owner", "company.name") or a method name ("get_status_display").
    source: str | Callable[[Any], object]

    def value(self, record: Model) -> object:
        if callable(self.source):
            return self.source(record)
        value: Any = record
        for name in self.source.split("."):
            value = getattr(value, name, None)
            if value is None:
                return ""
        return value() if callable(value) else value


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(columns: Iterable[CsvColumn], records: Iterable[Model]) -> Iterator[str]:
    columns = tuple(columns)
    writer = csv.writer(_Echo())
    yield writer.writerow([str(column.header) for column in columns])
    for record in records:
        yield writer.writerow([spreadsheet_safe(column.value(record)) for column in columns])


def csv_response(
    filename: str, columns: Iterable[CsvColumn], queryset: QuerySet
) -> StreamingHttpResponse:
    records = queryset.iterator(chunk_size=CHUNK_SIZE)
    response = StreamingHttpResponse(
        csv_rows(columns, records), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response
