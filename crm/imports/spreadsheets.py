"""Reading XLSX workbooks (what HubSpot and Pipedrive export by default) as rows of text.

The first worksheet is read, in openpyxl's read-only mode, which streams the sheet's XML:
memory holds one row whatever the size of the workbook. Its first row names the columns,
as in a CSV file. Cells become the text a CSV export would hold, so one set of rules reads
both formats:

- dates and times (cells with a date format) become ISO text: ``2017-03-18`` for a date
  at midnight, else ``2017-03-18 14:05:00``;
- numbers lose a float's ``.0`` when whole (``1200`` rather than ``1200.0``); a plain
  number in a date column is an Excel serial date, which ``dates.py`` reads in the 1900
  date system;
- booleans become ``true``/``false``, formulas their last computed value, empty cells "".

Rows that are shorter than the header have empty cells at the end; cells to the right of
the last named column are not read.

openpyxl needs a file it can seek in, and an upload is kept as database chunks that are
read in order: those are copied to a temporary file first (in memory up to a few MiB).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO
from xml.etree.ElementTree import ParseError

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from crm.imports.parsing import ImportFileError, Row, check_header

# Compound-file signature: a password-protected workbook (encrypted into an OLE container)
# and an old binary .xls file both start with it.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_IN_MEMORY_BYTES = 8 << 20
# What a damaged workbook raises from openpyxl, zipfile and the XML parser.
_DAMAGED = (zipfile.BadZipFile, InvalidFileException, ParseError, KeyError, ValueError, OSError)


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _seekable(stream: BinaryIO) -> IO[bytes]:
    if stream.seekable():
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES)  # noqa: SIM115 - returned
    with stream:
        shutil.copyfileobj(stream, copy, 1 << 20)
    copy.seek(0)
    return copy


def _open_workbook(stream: IO[bytes]) -> Any:
    signature = stream.read(8)
    stream.seek(0)
    if signature == _OLE_SIGNATURE:
        raise ImportFileError(
            _(
                "The workbook is password-protected, or an old .xls file: save it in Excel "
                "as an .xlsx workbook without a password, or as CSV."
            )
        )
    if not signature.startswith(_ZIP_SIGNATURE):
        raise ImportFileError(_("The file is not an XLSX workbook; save it as .xlsx or CSV."))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it does not read; cells are all we need.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except _DAMAGED as error:
        raise ImportFileError(
            _("The workbook cannot be read (%(reason)s); open it in Excel and save it again.")
            % {"reason": error.__class__.__name__}
        ) from error


@dataclass(frozen=True)
class XlsxSource:
    """An XLSX workbook that can be read more than once: ``open`` returns a fresh stream.

    Reads like ``parsing.CsvSource``; encoding and delimiter do not apply."""

    open: Callable[[], BinaryIO]
    encoding: str = ""
    delimiter: str = ""
    serial_dates = True

    def with_delimiter(self) -> XlsxSource:
        return self

    def read(self) -> tuple[list[str], Generator[Row, None, None]]:
        """The header and an iterator over the data rows; raises ImportFileError."""
        file = _seekable(self.open())
        try:
            workbook = _open_workbook(file)
        except ImportFileError:
            file.close()
            raise
        try:
            if not workbook.worksheets:
                raise ImportFileError(_("The workbook has no worksheet."))
            sheet = workbook.worksheets[0]
            # Exporters often write wrong sheet dimensions; read the rows that are there.
            sheet.reset_dimensions()
            values = sheet.iter_rows(values_only=True)
            first = _next_values(values, 1)
            if first is None:
                raise ImportFileError(_("The file is empty."))
            header = [cell_text(value).strip() for value in first]
            while header and not header[-1]:
                header.pop()  # formatted but empty columns at the right
            check_header(header)
        except BaseException:
            workbook.close()
            file.close()
            raise
        return header, _rows(values, workbook, file, len(header))

    def count_rows(self) -> int:
        """Data rows in the first worksheet; reads it all, so damage anywhere is found."""
        _header, rows = self.read()
        return sum(1 for _row in rows)


def _next_values(values: Iterator[tuple[Any, ...]], line: int) -> tuple[Any, ...] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return next(values)
    except StopIteration:
        return None
    except _DAMAGED as error:
        raise ImportFileError(
            _("the worksheet is damaged (%(reason)s); open it in Excel and save it again.")
            % {"reason": error.__class__.__name__},
            line=line,
        ) from error


def _rows(
    values: Iterator[tuple[Any, ...]], workbook: Any, file: IO[bytes], width: int
) -> Generator[Row, None, None]:
    line = 1
    try:
        while True:
            line += 1
            found = _next_values(values, line)
            if found is None:
                return
            cells = [cell_text(value) for value in found[:width]]
            if not any(cell.strip() for cell in cells):
                continue  # empty rows, and the formatted but empty rows at the end
            cells += [""] * (width - len(cells))
            yield Row(line, cells)
    finally:
        workbook.close()
        file.close()
