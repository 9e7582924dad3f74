"""Reading files and cells: encodings, delimiters, dates and decimals as spreadsheets write them."""

import datetime as dt
from decimal import Decimal

import pytest

from crm.imports.parsing import CellError, ImportFileError, parse_date, parse_decimal
from tests.imports.importing import csv_source


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-31", dt.date(2026, 3, 31)),
        ("2026-3-5", dt.date(2026, 3, 5)),
        ("31.03.2026", dt.date(2026, 3, 31)),
        ("5.3.2026", dt.date(2026, 3, 5)),
        ("5.3.26", dt.date(2026, 3, 5)),
        ("31/03/2026", dt.date(2026, 3, 31)),
        ("05/03/2026", dt.date(2026, 3, 5)),
        ("2026-03-31 00:00:00", dt.date(2026, 3, 31)),
    ],
)
def test_dates_in_iso_and_european_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["03/31/2026", "31.13.2026", "2026-02-30", "March 3rd", "31-03-2026", "2026/03/31", ""],
)
def test_a_date_that_is_not_day_first_or_does_not_exist_is_refused(text):
    with pytest.raises(CellError, match="not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", Decimal("1234")),
        ("1234.5", Decimal("1234.5")),
        ("1234,5", Decimal("1234.5")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u00a0234,56", Decimal("1234.56")),
        ("1'234.56", Decimal("1234.56")),
        ("1.234.567", Decimal("1234567")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("0,125", Decimal("0.125")),
        ("1234,567", Decimal("1234.567")),
        ("-12,50", Decimal("-12.50")),
    ],
)
def test_decimals_with_comma_or_point(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["1,234", "1.234", "12.500"])
def test_a_single_separator_before_three_digits_is_ambiguous(text):
    with pytest.raises(CellError, match="ambiguous"):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["abc", "1,2,3", "1.23,4.5", "12..5", "€ 12", ",5", "1.234,56.7"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(CellError, match="not a number"):
        parse_decimal(text)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_detected_from_the_header(delimiter):
    header, rows = csv_source(f"name{delimiter}domain\nAcme{delimiter}acme.example\n").read()

    assert header == ["name", "domain"]
    assert [row.cells for row in rows] == [["Acme", "acme.example"]]


def test_rows_know_the_line_they_start_on_across_quoted_line_breaks_and_blank_lines():
    content = 'name,notes\nAcme,"two\nlines"\n\nGlobex,one\n'

    _header, rows = csv_source(content).read()

    assert [(row.line, row.cells[0]) for row in rows] == [(2, "Acme"), (5, "Globex")]


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    header, _rows = csv_source("\ufeffname,domain\n".encode()).read()

    assert header == ["name", "domain"]


def test_a_short_row_gets_empty_cells():
    _header, rows = csv_source("name,domain,industry\nAcme\n").read()

    assert [row.cells for row in rows] == [["Acme", "", ""]]


def test_a_byte_that_is_not_utf8_is_reported_with_its_line():
    content = b"name,domain\nAcme,acme.example\n" + "Müller,mueller.example\n".encode("cp1252")

    with pytest.raises(ImportFileError) as error:
        csv_source(content).count_rows()

    assert str(error.value).startswith("Line 3: the file is not valid UTF-8")


def test_the_same_bytes_read_as_windows_1252():
    content = "name,domain\nMüller,mueller.example\n".encode("cp1252")

    _header, rows = csv_source(content, encoding="cp1252").read()

    assert [row.cells[0] for row in rows] == ["Müller"]


def test_an_empty_file_is_refused():
    with pytest.raises(ImportFileError, match="The file is empty"):
        csv_source(b"").read()


def test_a_header_split_by_another_delimiter_names_it():
    with pytest.raises(ImportFileError, match="separated by a semicolon, not a comma"):
        csv_source("name;domain;industry\nAcme;acme.example;Tools\n", delimiter=",").read()


def test_a_column_named_twice_is_refused():
    with pytest.raises(ImportFileError, match="“Name” appears twice"):
        csv_source("name,domain,Name\n").read()


def test_an_unclosed_quote_is_reported_with_its_line():
    with pytest.raises(ImportFileError, match=r"^Line 3"):
        csv_source('name,domain\nAcme,acme.example\nGlobex,"globex\n').count_rows()
