"""XLSX workbooks import as CSV files do: the first worksheet, its first row the header.

The workbooks are written here with openpyxl, shaped like a Pipedrive deals export
(columns such as "Deal - Title", "Deal - Organization", "Deal - Value", "Deal - Currency",
"Deal - Expected close date", cells typed as Excel types them): real date cells, serial
numbers in a column not formatted as dates, whole numbers stored as floats, and rows that
stop before the last column.
"""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.imports.models import FileFormat, ImportJob, ImportStatus
from crm.imports.parsing import ImportFileError
from crm.imports.runner import import_csv
from crm.imports.spreadsheets import XlsxSource, cell_text
from pipeline.models import Opportunity

HEADER = [
    "Deal - Title",
    "Deal - Organization",
    "Deal - Value",
    "Deal - Currency",
    "Deal - Expected close date",
]
MAPPING = {
    "title": "Deal - Title",
    "company": "Deal - Organization",
    "value": "Deal - Value",
    "currency": "Deal - Currency",
    "expected_close_date": "Deal - Expected close date",
}
ROWS = [
    # A date cell, a whole number stored as a float.
    ["Renewal", "Acme", 1200.0, "EUR", dt.datetime(2017, 3, 18)],
    # A serial number (42827 is 2017-04-02 in the 1900 system) and a decimal value.
    ["Pilot", "Acme", 1234.5, "USD", 42827],
    # Stops after the value: currency and close date are empty.
    ["Expansion", "Acme", 99],
]


def workbook(rows, header=HEADER, *, blank_rows: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for _ in range(blank_rows):
        sheet.append([None] * len(header))
    # A second sheet that must not be read.
    book.create_sheet("Notes").append(["not", "a", "deal"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def source(data: bytes) -> XlsxSource:
    return XlsxSource(lambda: io.BytesIO(data))


class OneWayStream(io.RawIOBase):
    """A stream that cannot seek, like an upload read back from its database chunks."""

    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# Reading cells


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (1200.0, "1200"),
        (1234.5, "1234.5"),
        (7, "7"),
        (True, "true"),
        (dt.datetime(2017, 3, 18), "2017-03-18"),
        (dt.datetime(2017, 3, 18, 14, 5), "2017-03-18 14:05:00"),
        (dt.date(2017, 3, 18), "2017-03-18"),
        ("Acme ", "Acme "),
    ],
)
def test_cells_read_as_a_csv_export_would_write_them(value, text):
    assert cell_text(value) == text


def test_the_first_worksheet_is_read_with_short_rows_padded_and_blank_rows_skipped():
    data = workbook([*ROWS[:1], [None] * 5, *ROWS[1:]], blank_rows=3)

    header, rows = source(data).read()
    rows = list(rows)

    assert header == HEADER
    assert [(row.line, row.cells) for row in rows] == [
        (2, ["Renewal", "Acme", "1200", "EUR", "2017-03-18"]),
        (4, ["Pilot", "Acme", "1234.5", "USD", "42827"]),
        (5, ["Expansion", "Acme", "99", "", ""]),
    ]


def test_a_workbook_read_from_a_stream_that_cannot_seek():
    data = workbook(ROWS)

    unseekable = XlsxSource(lambda: io.BufferedReader(OneWayStream(data)))

    assert unseekable.count_rows() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
        (b"Title,Value\nRenewal,10\n", "not an XLSX workbook"),
        (b"PK\x03\x04" + b"\0" * 64, "cannot be read"),
    ],
)
def test_a_broken_or_protected_workbook_is_a_file_error(data, message):
    with pytest.raises(ImportFileError, match=message):
        source(data).read()


def test_a_zip_that_is_not_a_workbook_is_a_file_error():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")

    with pytest.raises(ImportFileError, match="cannot be read"):
        source(buffer.getvalue()).read()


def test_a_workbook_with_a_repeated_column_is_refused():
    data = workbook([], header=["Deal - Title", "deal - title"])

    with pytest.raises(ImportFileError, match="appears twice"):
        source(data).read()


# Importing


def run(user, data: bytes, **options):
    rejections = []
    outcome = import_csv(
        by=user,
        kind="deals",
        source=source(data),
        mapping=MAPPING,
        on_rejections=rejections.extend,
        **options,
    )
    return outcome, rejections


def test_date_cells_serial_numbers_and_numbers_import(alice, acme, pipeline):
    outcome, rejections = run(alice, workbook(ROWS))

    assert rejections == []
    assert outcome.created == 3
    deals = {
        deal.title: (deal.expected_close_date, str(deal.value), deal.currency)
        for deal in Opportunity.objects.all()
    }
    assert deals["Renewal"] == (dt.date(2017, 3, 18), "1200.00", "EUR")
    assert deals["Pilot"] == (dt.date(2017, 4, 2), "1234.50", "USD")
    assert deals["Expansion"][:2] == (None, "99.00")


def test_text_dates_in_a_workbook_are_decided_like_a_csv_column(alice, acme, pipeline):
    # Cells typed as text by a US user: the column is month first, read that way.
    rows = [["Renewal", "Acme", 1, "EUR", "3/18/2017"], ["Pilot", "Acme", 2, "EUR", "4/2/2017"]]

    run(alice, workbook(rows))

    assert dict(Opportunity.objects.values_list("title", "expected_close_date")) == {
        "Renewal": dt.date(2017, 3, 18),
        "Pilot": dt.date(2017, 4, 2),
    }


def test_a_serial_number_outside_a_date_column_stays_a_number(alice, acme, pipeline):
    outcome, _rejections = run(alice, workbook([["Deal", "Acme", 42827, "EUR"]]))

    assert outcome.created == 1
    assert Opportunity.objects.get().value == 42827


# Uploading


def upload(client, data: bytes, name: str = "deals.xlsx"):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    form = {"kind": "deals", "file": file, "encoding": "utf-8-sig", "delimiter": ""}
    return client.post(reverse("imports:list"), form)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_an_uploaded_workbook_is_mapped_previewed_and_imported(
    alice_client, acme, pipeline, celery_eager, django_capture_on_commit_callbacks
):
    # Given an uploaded workbook
    response = upload(alice_client, workbook(ROWS))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.file_format, job.header, job.rows_total) == (FileFormat.XLSX, HEADER, 3)

    # When its columns are mapped, the preview shows its rows
    alice_client.post(reverse("imports:columns", args=[job.pk]), MAPPING)
    response = alice_client.get(reverse("imports:preview", args=[job.pk]))
    assert [row.values for row in response.context["rows"]][1] == [
        "Pilot",
        "Acme",
        "1234.50",
        "USD",
        "2017-04-02",
    ]

    # and starting it imports the rows.
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:preview", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3), job.error


def test_a_workbook_named_csv_is_read_as_a_workbook(alice_client):
    response = upload(alice_client, workbook(ROWS), name="export.csv")

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.file_format, job.header) == (FileFormat.XLSX, HEADER)


def test_a_broken_upload_is_refused_and_nothing_is_kept(alice_client):
    response = upload(alice_client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)

    assert response.status_code == 400
    assert "password-protected" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_an_old_excel_file_is_refused_by_name(alice_client):
    response = upload(alice_client, b"whatever", name="deals.xls")

    assert response.status_code == 400
    assert ".xls files cannot be read" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


# Session and user; in a savepoint the import and its chunk written, the chunk read once
# (a workbook has no delimiter to sniff), a remembered mapping looked for, the deals'
# custom fields, the header and count saved.
UPLOAD_QUERIES = 10


@pytest.mark.parametrize("rows", [3, 2000])
def test_upload_query_count_does_not_grow_with_rows(alice_client, rows, django_assert_num_queries):
    data = workbook([[f"Deal {n}", "Acme", n, "EUR", 42827 + n] for n in range(rows)])

    with django_assert_num_queries(UPLOAD_QUERIES):
        response = upload(alice_client, data)

    assert response.status_code == 302
    assert ImportJob.objects.get().rows_total == rows


# The command line


def test_command_imports_a_workbook_by_its_extension(alice, acme, pipeline, tmp_path):
    path = tmp_path / "deals.xlsx"
    path.write_bytes(workbook(ROWS))
    out = io.StringIO()
    args = [f"--map={field}={column}" for field, column in MAPPING.items()]

    call_command("import_csv", "deals", str(path), *args, "--user", "alice", stdout=out)

    assert "Imported 3 rows: 3 created, 0 updated, 0 rejected." in out.getvalue()
    assert Opportunity.objects.get(title="Pilot").expected_close_date == dt.date(2017, 4, 2)


def test_command_refuses_a_broken_workbook(alice, tmp_path):
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"PK\x03\x04broken")

    with pytest.raises(CommandError, match=r"cannot be read.*Nothing was imported"):
        call_command("import_csv", "deals", str(path), "--user", "alice", stdout=io.StringIO())
