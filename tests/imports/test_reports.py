"""A rejected row reports every one of its problems, and comes back as the file had it, with
a Reason column, from the report page and from ``import_csv --rejected``; the command's exit
status says whether everything, something or nothing was imported."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.imports import services
from crm.imports.models import ImportJob, ImportStatus, RejectedRow
from crm.imports.reports import ReportFile, reason_text
from crm.imports.runner import run_import as run_job
from pipeline.models import Opportunity
from tests.html import element, elements
from tests.imports.importing import run_import

HEADER = "external_id;title;company;owner;stage;value;expected_close_date"
FILE = f"""{HEADER}
D-1;Good;Acme;;Proposal;100;2026-12-31
D-2;;Nowhere Inc;nobody;Negotiation;lots;31/12/26x
D-3;Almost;Acme;;;-5;
"""
MAPPING = {name: name for name in HEADER.split(";")}


def test_a_rejected_row_names_every_problem_not_only_the_first(alice, acme, pipeline):
    result = run_import(alice, "deals", FILE)

    assert (result.outcome.created, result.outcome.rejected) == (1, 2)
    assert result.reasons[3] == [
        "value: “lots” is not a number.",
        "expected_close_date: “31/12/26x” is not a date: use 2026-03-31, 31.03.2026 or 31/03/2026.",
        "title: Title is required.",
        "owner: No active user “nobody” you may make the owner.",
        "company: No company “Nowhere Inc” that you can see: import it first, or check the name.",
        "stage: No stage “Negotiation” in an active pipeline.",
    ]
    assert result.reasons[4] == ["value: Value cannot be negative."]


def test_a_row_updating_by_external_id_may_leave_required_fields_empty_but_not_bad(
    alice, acme, pipeline
):
    run_import(alice, "deals", "external_id,title,company\nD-1,Renewal,Acme\n")

    result = run_import(alice, "deals", "external_id,title,company,value\nD-1,,,x\n")

    assert result.reasons == {2: ["value: “x” is not a number."]}
    assert Opportunity.objects.get().title == "Renewal"


def queued_job(user, content: str) -> ImportJob:
    job = services.upload_import(
        by=user,
        kind="deals",
        file_name="deals.csv",
        chunks=[content.encode()],
        encoding="utf-8-sig",
        delimiter="",
    )
    services.map_columns(by=user, job_id=job.pk, mapping=MAPPING)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    return job


def download(client, job) -> list[list[str]]:
    response = client.get(reverse("imports:rejections_csv", args=[job.pk]))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_report_keeps_each_rejected_rows_cells_and_gives_them_back_with_every_reason(
    client, alice, acme, pipeline
):
    # Given an import with two rejected rows, run in batches of one row
    job = queued_job(alice, FILE)
    run_job(job_id=job.pk)

    # Then the cells of each rejected line are kept as the file had them
    assert list(RejectedRow.objects.filter(job=job).values_list("line", "cells")) == [
        (3, ["D-2", "", "Nowhere Inc", "nobody", "Negotiation", "lots", "31/12/26x"]),
        (4, ["D-3", "Almost", "Acme", "", "", "-5", ""]),
    ]

    # And the download is the file's header with a Reason column, one row per rejected line
    client.force_login(alice)
    lines = download(client, job)
    assert lines[0] == [*HEADER.split(";"), "Reason"]
    assert lines[1][:7] == ["D-2", "", "Nowhere Inc", "nobody", "Negotiation", "lots", "31/12/26x"]
    assert lines[1][7].split(" | ") == [
        "Value: “lots” is not a number.",
        "Expected close date: “31/12/26x” is not a date: use 2026-03-31, 31.03.2026 or 31/03/2026.",
        "Title is required.",
        "Owner: No active user “nobody” you may make the owner.",
        "Company: No company “Nowhere Inc” that you can see: import it first, or check the name.",
        "Stage: No stage “Negotiation” in an active pipeline.",
    ]
    # Negative amounts and the like come back as they were: no apostrophe in front.
    assert lines[2] == [
        "D-3",
        "Almost",
        "Acme",
        "",
        "",
        "-5",
        "",
        "Value cannot be negative.",
    ]


def test_the_downloaded_rows_fixed_import_again(client, alice, acme, pipeline):
    job = queued_job(alice, FILE)
    run_job(job_id=job.pk)
    client.force_login(alice)
    lines = download(client, job)

    # When the user fixes the cells the reasons name and imports the file again
    lines[1][1:7] = ["Pilot", "Acme", "", "Proposal", "10", "2026-11-30"]
    lines[2][5] = "5"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(lines)
    result = run_import(alice, "deals", fixed.getvalue(), MAPPING)

    # Then the rows come in, and the Reason column is left alone
    assert (result.outcome.created, result.outcome.rejected) == (2, 0)
    assert set(Opportunity.objects.values_list("external_id", flat=True)) == {"D-1", "D-2", "D-3"}


def test_a_file_with_a_reason_column_gets_its_reasons_there_not_a_second_column():
    report = ReportFile(["title", "Reason", "company"])

    assert report.header == ["title", "Reason", "company"]
    assert report.row(["X", "old reason", "Acme"], "new") == ["X", "new", "Acme"]
    assert report.row(["X"], "short row") == ["X", "short row", ""]


def test_a_reason_leads_each_message_with_its_fields_label_once():
    assert reason_text(
        "deals", [("value", "“x” is not a number."), ("title", "Title is required.")]
    ) == ("Value: “x” is not a number. | Title is required.")


def test_a_report_of_an_import_run_before_cells_were_kept_still_lists_its_reasons(
    client, alice, acme, pipeline
):
    job = queued_job(alice, FILE)
    run_job(job_id=job.pk)
    RejectedRow.objects.filter(job=job, line=3).delete()
    client.force_login(alice)

    lines = download(client, job)

    assert [line[:7] for line in lines[1:]] == [
        [""] * 7,
        ["D-3", "Almost", "Acme", "", "", "-5", ""],
    ]
    assert lines[1][7].startswith("Value: “lots” is not a number.")


# The command


@pytest.fixture
def command(tmp_path):
    def run(content: str, *args: str) -> tuple[int, str, str]:
        path = tmp_path / "deals.csv"
        path.write_text(content, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            call_command(
                "import_csv", "deals", str(path), "--user", "alice", *args, stdout=out, stderr=err
            )
        except CommandError as error:
            code = error.returncode
            err.write(str(error))
        return code, out.getvalue(), err.getvalue()

    return run


def test_command_exits_0_when_every_row_is_imported(alice, acme, pipeline, command):
    code, out, _err = command("title,company\nA,Acme\nB,Acme\n")

    assert code == 0
    assert "2 created, 0 updated, 0 rejected" in out


def test_command_exits_2_when_some_rows_are_rejected(alice, acme, pipeline, command):
    code, out, err = command("title,company\nA,Acme\nB,Nowhere\n")

    assert code == 2
    assert "1 created, 0 updated, 1 rejected" in out
    assert "1 rows rejected; the others were imported." in err
    assert Opportunity.objects.count() == 1


def test_command_exits_1_when_every_row_is_rejected(alice, acme, pipeline, command):
    code, _out, err = command("title,company\nA,Nowhere\n,Acme\n")

    assert code == 1
    assert "Every row was rejected; nothing was imported." in err
    assert not Opportunity.objects.exists()


def test_command_exits_1_on_a_file_it_cannot_use(alice, acme, pipeline, command):
    code, _out, err = command("company\nAcme\n")

    assert code == 1
    assert "No column for the required field" in err


def test_command_writes_the_rejected_rows_with_every_reason(
    alice, acme, pipeline, command, tmp_path
):
    rejected = tmp_path / "rejected.csv"

    code, out, _err = command(FILE.replace(";", ","), "--rejected", str(rejected))

    assert code == 2
    assert f"Rejected rows written to {rejected}" in out
    lines = list(csv.reader(rejected.open(encoding="utf-8")))
    assert lines[0] == [*HEADER.split(";"), "Reason"]
    assert [line[0] for line in lines[1:]] == ["D-2", "D-3"]
    assert len(lines[1][-1].split(" | ")) == 6
    assert lines[2][-1] == "Value cannot be negative."


def test_command_leaves_no_rejected_file_when_the_file_cannot_be_used(
    alice, pipeline, command, tmp_path
):
    rejected = tmp_path / "rejected.csv"

    code, _out, _err = command("company\nAcme\n", "--rejected", str(rejected))

    assert code == 1
    assert not rejected.exists()


def test_command_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        call_command("import_csv", "--help")

    help_text = " ".join(capsys.readouterr().out.split())
    assert "0 every row imported; 2 imported, with rejected rows; 1 nothing imported" in help_text
    assert "--rejected PATH" in help_text


def test_the_report_page_lists_every_problem_and_links_the_rows_to_fix(
    client, alice, acme, pipeline
):
    job = queued_job(alice, FILE)
    run_job(job_id=job.pk)
    client.force_login(alice)

    page = client.get(reverse("imports:detail", args=[job.pk]))

    link = element(page.content, "a", id="rejected-rows-download")
    assert link.attrs["href"] == reverse("imports:rejections_csv", args=[job.pk])
    element(page.content, "table", id="rejections")
    cells = [cell.text for cell in elements(page.content, "td")]
    rows = [tuple(cells[index : index + 2]) for index in range(0, len(cells), 3)]
    assert rows == [
        ("3", "value"),
        ("3", "expected_close_date"),
        ("3", "title"),
        ("3", "owner"),
        ("3", "company"),
        ("3", "stage"),
        ("4", "value"),
    ]


def test_command_lists_the_columns_it_ignores(alice, acme, pipeline, command):
    code, out, _err = command("title,company,Probability,Notes\nA,Acme,40,call\n")

    assert code == 0
    assert "Ignored columns (not mapped): Probability, Notes" in out


def test_a_workbooks_rejected_rows_download_as_csv_with_their_cells_as_text(
    client, alice, acme, pipeline, celery_eager, django_capture_on_commit_callbacks
):
    # Given a Pipedrive-style workbook whose second row names an unknown organization
    header = ["Deal - Title", "Deal - Organization", "Deal - Value", "Deal - Currency"]
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(["Renewal", "Acme", 1200.0, "EUR"])
    book.active.append(["Pilot", "Nowhere", 1234.5, "€"])
    data = io.BytesIO()
    book.save(data)
    client.force_login(alice)
    upload = SimpleUploadedFile("deals.xlsx", data.getvalue())
    client.post(
        reverse("imports:list"),
        {"kind": "deals", "file": upload, "encoding": "utf-8-sig", "delimiter": ""},
    )
    job = ImportJob.objects.get()
    mapping = {
        "title": "Deal - Title",
        "company": "Deal - Organization",
        "value": "Deal - Value",
        "currency": "Deal - Currency",
    }
    client.post(reverse("imports:columns", args=[job.pk]), mapping)

    # When it is imported
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]))

    # Then the rejected row comes back as CSV, its cells as the import read them
    assert download(client, job) == [
        [*header, "Reason"],
        [
            "Pilot",
            "Nowhere",
            "1234.5",
            "€",
            "Currency: “€” is a currency sign, not a code; write its ISO 4217 code, EUR. | "
            "Company: No company “Nowhere” that you can see: import it first, or check the name.",
        ],
    ]
