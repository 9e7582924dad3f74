"""Reading CSV files people export from spreadsheets and other CRMs, one row at a time.

A file is read as a stream and decoded line by line, so a file of any size holds one line
in memory and a byte the encoding cannot decode is reported with its line number. Cells
are read the way European and English spreadsheets write them:

- Dates (``parse_date``, for single values; an import's date columns are read by
  ``dates.py``, which decides each column's order from all its values): ISO (2026-03-31),
  day first with dots (31.03.2026, 31.3.26) or slashes (31/03/2026). Slashes are always
  read day first here; the American month-first form is not accepted, so 03/31/2026 is
  refused instead of being read as a wrong date. Two-digit years are 2000 to 2099.
- Decimals: a point or a comma before the decimals, and points, commas, spaces or
  apostrophes between thousands ("1.234,56", "1,234.56", "1 234,5", "1234,5"). A single
  separator followed by exactly three digits ("1.234", "1,234") could be either, and is
  refused with a message saying so rather than guessed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# utf-8-sig reads plain UTF-8 as well and drops the byte-order mark Excel writes.
DEFAULT_ENCODING = "utf-8-sig"
ENCODINGS = {
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252 (Western Europe)",
    "latin-1": "ISO-8859-1",
}
DELIMITERS = {",": gettext_lazy("comma"), ";": gettext_lazy("semicolon"), "\t": gettext_lazy("tab")}
# Lines longer than this are not a CSV row but a wrong file (or a missing line break).
MAX_LINE_BYTES = 1 << 20


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing of it is written."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        if line is not None:
            message = _("Line %(line)s: %(message)s") % {"line": line, "message": message}
        super().__init__(message)


class CellError(ValueError):
    """A cell that does not hold what its field needs; the message says why."""


@dataclass(frozen=True)
class Row:
    line: int  # the file line the row starts on, counting the header as line 1
    cells: list[str]


def _decoded_lines(stream: BinaryIO, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    line_number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        line_number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ImportFileError(_("the line is too long to be a CSV row."), line=line_number)
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as error:
            raise ImportFileError(
                _(
                    "the file is not valid %(encoding)s (byte %(byte)s). Save it as UTF-8 "
                    "or choose its encoding."
                )
                % {"encoding": ENCODINGS.get(encoding, encoding), "byte": hex(raw[error.start])},
                line=line_number,
            ) from error


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (a comma if none does)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


class Source(Protocol):
    """A file of rows under a header, readable more than once (CSV, or an XLSX workbook)."""

    @property
    def encoding(self) -> str: ...

    @property
    def delimiter(self) -> str: ...

    @property
    def serial_dates(self) -> bool:
        """Whether a number in a date column is a spreadsheet's serial date."""
        ...

    def with_delimiter(self) -> Source: ...

    def read(self) -> tuple[list[str], Generator[Row, None, None]]: ...

    def count_rows(self) -> int: ...


@dataclass(frozen=True)
class CsvSource:
    """A CSV file that can be read more than once: ``open`` returns a fresh binary stream."""

    open: Callable[[], BinaryIO]
    encoding: str = DEFAULT_ENCODING
    delimiter: str = ""  # empty: sniffed from the header line
    # A number in a CSV date column is a mistake, not a date.
    serial_dates = False

    def with_delimiter(self) -> CsvSource:
        """This source with its delimiter decided, from the header if none was given."""
        if self.delimiter:
            return self
        with self.open() as stream:
            first = next(_decoded_lines(stream, self.encoding), "")
        return CsvSource(self.open, self.encoding, sniff_delimiter(first))

    def read(self) -> tuple[list[str], Generator[Row, None, None]]:
        """The header and an iterator over the data rows; raises ImportFileError."""
        source = self.with_delimiter()
        stream = source.open()
        reader = csv.reader(
            _decoded_lines(stream, source.encoding), delimiter=source.delimiter, strict=True
        )
        try:
            header = [name.strip() for name in _next_row(reader)]
        except StopIteration:
            stream.close()
            raise ImportFileError(_("The file is empty.")) from None
        check_header(header, source.delimiter)
        return header, _rows(reader, stream, len(header))

    def count_rows(self) -> int:
        """Data rows in the file; reads it all, so a bad byte anywhere is found before writing."""
        _header, rows = self.read()
        return sum(1 for _row in rows)


def _next_row(reader) -> list[str]:
    try:
        return next(reader)
    except csv.Error as error:
        raise ImportFileError(str(error), line=reader.line_num) from error


def _rows(reader, stream: BinaryIO, width: int) -> Generator[Row, None, None]:
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = _next_row(reader)
            except StopIteration:
                return
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and the empty rows spreadsheets add at the end
            # Spreadsheets drop trailing empty cells; a short row means empty cells, not an error.
            cells += [""] * (width - len(cells))
            yield Row(start, cells)
    finally:
        stream.close()


def check_header(header: list[str], delimiter: str = "") -> None:
    """Raises ImportFileError for an empty header, a repeated column or, when the file has
    a ``delimiter``, a header that another delimiter would split."""
    if not any(header):
        raise ImportFileError(_("The first line must name the columns; it is empty."), line=1)
    if len(header) == 1 and delimiter:
        other = next((d for d in DELIMITERS if d != delimiter and d in header[0]), None)
        if other is not None:
            raise ImportFileError(
                _(
                    "The header is one column, “%(header)s”: the columns seem to be separated "
                    "by a %(other)s, not a %(delimiter)s. Choose that delimiter."
                )
                % {
                    "header": header[0][:80],
                    "other": DELIMITERS[other],
                    "delimiter": DELIMITERS[delimiter],
                },
                line=1,
            )
    seen: set[str] = set()
    for name in header:
        if name and name.casefold() in seen:
            raise ImportFileError(
                _("The column “%(name)s” appears twice in the header.") % {"name": name}, line=1
            )
        seen.add(name.casefold())


# Cells


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST_DATE = re.compile(r"^(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})$")


def parse_date(text: str) -> dt.date:
    """A date in ISO or day-first European form; raises CellError."""
    text = text.strip()
    # A spreadsheet's datetime export ("2026-03-31 00:00:00") carries the date first.
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST_DATE.match(text):
        day, month = int(match[1]), int(match[3])
        year = int(match[4]) if len(match[4]) == 4 else 2000 + int(match[4])
    else:
        raise CellError(
            _("“%(value)s” is not a date: use 2026-03-31, 31.03.2026 or 31/03/2026.")
            % {"value": text}
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date (day first: 31/03/2026).") % {"value": text}
        ) from None


_ISO_DATETIME = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(text: str, *, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """A moment: a date (read as ``parse_date`` does, at midnight) or an ISO date and time,
    with or without seconds, fractions and an offset (2017-03-18T14:05:00.000Z); a time
    without an offset is in ``tz``. Raises CellError."""
    text = text.strip()
    if match := _ISO_DATETIME.match(text):
        day = parse_date(match[1])
        moment = dt.datetime.combine(day, dt.time(int(match[2]), int(match[3]), int(match[4] or 0)))
        offset = match[5]
        if not offset:
            return moment.replace(tzinfo=tz)
        if offset == "Z":
            return moment.replace(tzinfo=dt.UTC)
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=dt.timezone(sign * delta))
    return dt.datetime.combine(parse_date(text), dt.time.min, tzinfo=tz)


_GROUPED = re.compile(r"^\d{1,3}([.,])\d{3}(\1\d{3})*$")


def parse_decimal(text: str) -> Decimal:
    """A decimal with a point or comma before the decimals; raises CellError."""
    compact = re.sub(r"[\s\u00a0\u202f']", "", text)
    sign = ""
    if compact[:1] in "+-":
        sign, compact = compact[:1].replace("+", ""), compact[1:]
    if not compact or not re.fullmatch(r"[\d.,]+", compact) or not compact[0].isdigit():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()})
    points, commas = compact.count("."), compact.count(",")
    if points and commas:
        # Both: the one that comes last separates the decimals.
        decimal_mark = "." if compact.rfind(".") > compact.rfind(",") else ","
        integer, _mark, fraction = compact.rpartition(decimal_mark)
        grouping = "," if decimal_mark == "." else "."
        if not _GROUPED.match(integer):
            raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()})
        digits = integer.replace(grouping, "") + "." + fraction
    elif points + commas == 0:
        digits = compact
    elif points + commas > 1:
        # One kind of mark used several times can only group thousands: 1.234.567.
        if not _GROUPED.match(compact):
            raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()})
        digits = compact.replace(".", "").replace(",", "")
    else:
        integer, _mark, fraction = compact.replace(",", ".").partition(".")
        # "1,234" may be thousands or decimals; "0,125" and "1234,567" can only be decimals.
        if len(fraction) == 3 and len(integer) <= 3 and not integer.startswith("0"):
            raise CellError(
                _(
                    "“%(value)s” is ambiguous: %(thousands)s or %(decimals)s? Write thousands "
                    "without a separator, or give two decimals."
                )
                % {
                    "value": text.strip(),
                    "thousands": integer + fraction,
                    "decimals": f"{integer}.{fraction}",
                }
            )
        digits = f"{integer}.{fraction}"
    try:
        return Decimal(sign + digits)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()}) from None
