"""The import pages: upload, map columns, preview, run, report; who may see which import.

Alice (rep, North) uploads; Bob (her teammate) and Charlie (South) may not see her import;
Ada (admin) may watch it but not map or start it.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.imports.models import ColumnMapping, ImportChunk, ImportJob, ImportStatus
from pipeline.models import Opportunity
from tests.imports.factories import ImportJobFactory, ImportRejectionFactory, RejectedRowFactory

GOOD_AND_BAD = """Ref;Deal;Account;Amount
D-1;Renewal;Acme;1.234,56
D-2;Pilot;Nowhere;10
D-3;Expansion;C-1;lots
"""
MAPPING = {"external_id": "Ref", "title": "Deal", "company": "Account", "value": "Amount"}

# Each page: session and user, then its own reads.
# Upload, in a savepoint: the import and its one chunk written, the chunk read twice (the
# delimiter, then every row), a remembered mapping looked for, the deals' custom fields (to
# guess their columns), the header and count saved.
# A file above 1 MiB costs a write and two reads per MiB.
UPLOAD_QUERIES = 11
# List: the recent imports with their uploaders.
LIST_QUERIES = 3
# Columns: the import, the deals' custom fields (a mapping target each), the users who may
# receive unknown owners' deals.
COLUMNS_QUERIES = 5
# Preview: the import, the file's first chunk, stages, which external ids records hold (none
# here, so no editable records to read), companies by external id and by name, the deals'
# custom fields. (Places in columns are the import's.)
PREVIEW_QUERIES = 9
# Report: the import with its uploader, the count of rejections, one page of them.
DETAIL_QUERIES = 5
# Download: the import, then its problems and its rejected rows' cells, each one streamed
# query.
CSV_QUERIES = 5


def upload(client, content: str | bytes, kind: str = "deals", **fields):
    data = content.encode() if isinstance(content, str) else content
    file = SimpleUploadedFile("deals.csv", data, content_type="text/csv")
    form = {"kind": kind, "file": file, "encoding": "utf-8-sig", "delimiter": "", **fields}
    return client.post(reverse("imports:list"), form)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def mapped_job(alice_client, acme, pipeline):
    job = ImportJob.objects.get(pk=upload_and_map(alice_client, GOOD_AND_BAD))
    return job


def upload_and_map(client, content: str) -> int:
    response = upload(client, content)
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302
    response = client.post(reverse("imports:columns", args=[job.pk]), MAPPING)
    assert response.status_code == 302, response.context["form"].errors
    return job.pk


def test_upload_map_preview_run_and_report(
    alice_client, alice, acme, pipeline, celery_eager, django_capture_on_commit_callbacks
):
    # Given an uploaded file
    response = upload(alice_client, GOOD_AND_BAD)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:columns", args=[job.pk])
    assert (job.header, job.delimiter, job.rows_total) == (
        ["Ref", "Deal", "Account", "Amount"],
        ";",
        3,
    )

    # When the columns are mapped
    response = alice_client.post(reverse("imports:columns", args=[job.pk]), MAPPING)
    assert response["Location"] == reverse("imports:preview", args=[job.pk])

    # Then the preview shows each row as it will be imported
    response = alice_client.get(reverse("imports:preview", args=[job.pk]))
    rows = {row.line: row for row in response.context["rows"]}
    assert not rows[2].problems
    assert [problem.field for problem in rows[3].problems] == ["company"]
    assert [problem.field for problem in rows[4].problems] == ["value"]
    assert not Opportunity.objects.exists()

    # When the import is started, a worker runs it
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("imports:preview", args=[job.pk]))
    assert response["Location"] == reverse("imports:detail", args=[job.pk])

    # Then the report says what happened and lists the rejected rows
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count, job.rows_done) == ("done", 1, 2, 3)
    assert Opportunity.objects.get().external_id == "D-1"
    assert not ImportChunk.objects.filter(job=job).exists()
    page = alice_client.get(reverse("imports:detail", args=[job.pk]))
    assert [(r.line, r.field) for r in page.context["rejections"]] == [(3, "company"), (4, "value")]
    assert f'hx-get="{reverse("imports:detail", args=[job.pk])}"' not in page.content.decode()
    download = alice_client.get(reverse("imports:rejections_csv", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert lines == [
        ["Ref", "Deal", "Account", "Amount", "Reason"],
        [
            "D-2",
            "Pilot",
            "Nowhere",
            "10",
            "Company: No company “Nowhere” that you can see: import it first, or check the name.",
        ],
        ["D-3", "Expansion", "C-1", "lots", "Value: “lots” is not a number."],
    ]


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_columns(
    alice_client, mapped_job
):
    assert ColumnMapping.objects.get().mapping == MAPPING

    upload(alice_client, GOOD_AND_BAD.replace("D-1", "D-9"))

    response = alice_client.get(
        reverse("imports:columns", args=[ImportJob.objects.latest("pk").pk])
    )
    assert {
        field.name: field.value()
        for field in response.context["form"].column_fields
        if field.value()
    } == MAPPING


def test_columns_are_suggested_by_name_the_first_time(alice_client, pipeline):
    upload(alice_client, "Title,company,VALUE,Notes\nX,Acme,1\n")

    assert ImportJob.objects.get().mapping == {
        "title": "Title",
        "company": "company",
        "value": "VALUE",
    }


def test_deals_mapping_without_company_or_contact_is_refused(alice_client, pipeline):
    upload(alice_client, GOOD_AND_BAD)
    job = ImportJob.objects.get()

    response = alice_client.post(reverse("imports:columns", args=[job.pk]), {"title": "Deal"})

    assert response.status_code == 400
    assert response.context["form"].errors["company"] == [
        "Choose a column for at least one of: Company, Contact."
    ]
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_mapping_without_a_required_field_is_refused(alice_client, pipeline):
    upload(alice_client, GOOD_AND_BAD)
    job = ImportJob.objects.get()

    response = alice_client.post(reverse("imports:columns", args=[job.pk]), {"company": "Account"})

    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,company\nKäse,Acme\n".encode("cp1252"), "Line 2: the file is not valid UTF-8"),
        (b"", "The submitted file is empty."),
        (b"title,company\n", "The file has a header but no rows."),
        (b"title,company,title\nX,Y,Z\n", "The column “title” appears twice"),
    ],
    ids=["bad-encoding", "empty", "header-only", "duplicate-column"],
)
def test_an_unreadable_upload_is_refused_and_nothing_is_kept(alice_client, content, message):
    response = upload(alice_client, content)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not ImportChunk.objects.exists()


def test_an_upload_in_windows_1252_is_read_when_chosen(alice_client):
    upload(alice_client, "title,company\nKäse,Acme\n".encode("cp1252"), encoding="cp1252")

    assert ImportJob.objects.get().rows_total == 1


def test_starting_twice_queues_once(alice_client, mapped_job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        alice_client.post(reverse("imports:preview", args=[mapped_job.pk]))
        alice_client.post(reverse("imports:preview", args=[mapped_job.pk]))

    assert len(callbacks) == 1
    mapped_job.refresh_from_db()
    assert mapped_job.status == ImportStatus.QUEUED


def test_the_progress_partial_polls_while_the_import_runs(alice_client, alice):
    job = ImportJobFactory(
        created_by=alice, status=ImportStatus.RUNNING, rows_total=4000, rows_done=1000
    )

    response = alice_client.get(
        reverse("imports:detail", args=[job.pk]), headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="import-status"')
    assert 'hx-trigger="every 1s"' in html
    assert 'value="1000" max="4000"' in html


# Who may see what


@pytest.mark.parametrize("name", ["bob", "charlie"])
def test_nobody_else_sees_or_touches_an_import(client, request, mapped_job, name):
    client.force_login(request.getfixturevalue(name))

    for view in ("detail", "columns", "preview", "rejections_csv"):
        assert client.get(reverse(f"imports:{view}", args=[mapped_job.pk])).status_code == 404, view
    assert client.post(reverse("imports:preview", args=[mapped_job.pk])).status_code == 404
    mapped_job.refresh_from_db()
    assert mapped_job.status == ImportStatus.PREVIEWED
    assert mapped_job not in client.get(reverse("imports:list")).context["jobs"]


def test_admin_watches_an_import_but_does_not_run_it(client, ada, mapped_job):
    client.force_login(ada)

    assert client.get(reverse("imports:detail", args=[mapped_job.pk])).status_code == 200
    assert client.post(reverse("imports:preview", args=[mapped_job.pk])).status_code == 404
    assert client.post(reverse("imports:columns", args=[mapped_job.pk]), MAPPING).status_code == 404


def test_pages_ask_for_a_login(client, mapped_job):
    client.logout()

    response = client.get(reverse("imports:detail", args=[mapped_job.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Query counts do not grow with rows


def test_list_page_query_count(alice_client, alice, django_assert_num_queries):
    ImportJobFactory.create_batch(2, created_by=alice)
    with django_assert_num_queries(LIST_QUERIES):
        alice_client.get(reverse("imports:list"))

    ImportJobFactory.create_batch(15, created_by=alice)
    with django_assert_num_queries(LIST_QUERIES):
        response = alice_client.get(reverse("imports:list"))
    assert len(response.context["jobs"]) == 17


@pytest.mark.parametrize("rows", [3, 3000])
def test_upload_query_count(alice_client, rows, django_assert_num_queries):
    content = "Ref;Deal;Account\n" + "".join(f"D-{n};Deal {n};Acme\n" for n in range(rows))

    with django_assert_num_queries(UPLOAD_QUERIES):
        response = upload(alice_client, content)

    assert response.status_code == 302
    assert ImportJob.objects.get().rows_total == rows


@pytest.mark.parametrize("rows", [3, 300])
def test_columns_and_preview_query_counts(
    alice_client, acme, pipeline, rows, django_assert_num_queries
):
    content = "Ref;Deal;Account;Amount\n" + "".join(
        f"D-{n};Deal {n};Acme;{n}\n" for n in range(rows)
    )
    job_id = upload_and_map(alice_client, content)

    with django_assert_num_queries(COLUMNS_QUERIES):
        alice_client.get(reverse("imports:columns", args=[job_id]))
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = alice_client.get(reverse("imports:preview", args=[job_id]))
    assert len(response.context["rows"]) == min(rows, 20)


@pytest.mark.parametrize("rejected", [2, 120])
def test_report_and_download_query_counts(alice_client, alice, rejected, django_assert_num_queries):
    job = ImportJobFactory(created_by=alice, rejected_count=rejected)
    for line in range(2, rejected + 2):
        # Two problems a row, and the row's cells.
        ImportRejectionFactory(job=job, line=line)
        ImportRejectionFactory(job=job, line=line, field="title", message="Title is required.")
        RejectedRowFactory(job=job, line=line)

    with django_assert_num_queries(DETAIL_QUERIES):
        alice_client.get(reverse("imports:detail", args=[job.pk]))
    with django_assert_num_queries(CSV_QUERIES):
        response = alice_client.get(reverse("imports:rejections_csv", args=[job.pk]))
        lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(lines) == rejected + 1
    assert lines[-1] == [
        f"Deal on line {rejected + 1}",
        "Acme",
        "Value: “x” is not a number. | Title is required.",
    ]
