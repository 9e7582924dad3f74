"""Moving in from Pipedrive in headless Chromium: upload its XLSX deals export, see it
recognised, map its stages, preview, import in the background, download the rejected rows.

A real Celery worker (in a thread, on the Redis broker) runs the import, as in production:
the page shows the import queued and running, then done, polling until it is.
"""

import csv
import datetime as dt
import io

# Registers the `celery.ping` task that start_worker's readiness check sends.
import celery.contrib.testing.tasks  # noqa: F401
import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from crm.celery import app
from crm.imports.models import ImportJob, ImportStatus
from pipeline.models import Opportunity, StageChange
from tests.browser.test_companies import watch_console
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    CompanyFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

# The columns of a Pipedrive deals export (every column "<Entity> - <Field>"), as the
# preset's documentation names them.
HEADER = [
    "Deal - ID",
    "Deal - Title",
    "Deal - Organization",
    "Deal - Owner",
    "Deal - Stage",
    "Deal - Status",
    "Deal - Value",
    "Deal - Currency",
    "Deal - Deal created",
    "Deal - Won time",
    "Deal - Expected close date",
]
ROWS = [
    ["101", "Fleet renewal", "Acme", "Alice Archer", "Qualified", "open", 12000, "EUR",
     dt.datetime(2025, 11, 3, 9, 30), None, dt.date(2027, 3, 31)],
    ["102", "Pilot", "Acme", "alice  archer", "Proposal", "open", 4500, "EUR",
     dt.datetime(2026, 1, 12, 14, 5), None, dt.date(2027, 2, 28)],
    ["103", "Rollout", "Acme", "Alice Archer", "Proposal", "won", 30000, "EUR",
     dt.datetime(2025, 6, 2, 10, 0), dt.datetime(2025, 9, 30, 16, 45), None],
    ["104", "Expansion", "Nowhere Ltd", "Alice Archer", "Proposal", "open", 800, "EUR",
     dt.datetime(2026, 2, 1, 8, 0), None, None],
]  # fmt: skip


def pipedrive_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Deals"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def alice(db):
    user = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    user.team = TeamFactory(name="North")
    user.save(update_fields=["team"])
    CompanyFactory(name="Acme", owner=user)
    return user


@pytest.fixture
def sales(db):
    pipeline = PipelineFactory(name="Sales", position=0)
    return {
        name: StageFactory(
            pipeline=pipeline, name=name, position=index, kind=kind, probability=probability
        )
        for index, (name, kind, probability) in enumerate(
            [
                ("Prospecting", "open", 10),
                ("Proposal", "open", 50),
                ("Won", "won", 100),
                ("Lost", "lost", 0),
            ],
            start=1,
        )
    }


def test_a_pipedrive_xlsx_export_is_recognised_mapped_imported_and_its_rejects_downloaded(
    page: Page, live_server, alice, sales, screenshot, tmp_path
):
    errors = watch_console(page)
    workbook = tmp_path / "deals-export.xlsx"
    workbook.write_bytes(pipedrive_workbook())
    submit_login(page, live_server.url, username="alice", password=PASSWORD)

    # Given the import page, Alice uploads Pipedrive's spreadsheet as it came
    page.goto(live_server.url + reverse("imports:list"))
    page.locator("select[name='kind']").select_option("deals")
    page.locator("input[type='file']").set_input_files(str(workbook))
    page.get_by_role("button", name="Upload and map columns").click()

    # Then it is recognised, and its columns are mapped for her
    expect(page.locator("#recognised-export")).to_contain_text("Pipedrive deals export")
    expect(page.locator("select[name='title']")).to_have_value("Deal - Title")
    expect(page.locator("select[name='won_at']")).to_have_value("Deal - Won time")
    expect(page.locator("select[name='owner']")).to_have_value("Deal - Owner")
    screenshot("vendor-import-columns")
    page.get_by_role("button", name="Preview").click()

    # The file's stages stand beside ours: "Proposal" found its stage, "Qualified" is hers
    stages = page.locator("#values-stage")
    expect(stages).to_contain_text("Qualified")
    expect(stages.get_by_label("Proposal")).to_have_value(str(sales["Proposal"].pk))
    stages.get_by_label("Qualified").select_option(str(sales["Prospecting"].pk))
    screenshot("vendor-import-stages")
    page.get_by_role("button", name="Preview").click()

    # The preview shows the rows as they will be imported, the unknown company flagged
    expect(page.locator("#line-5")).to_contain_text("Nowhere Ltd")
    expect(page.locator("#line-5")).to_have_class("table-danger")
    assert not Opportunity.objects.exists()
    job = ImportJob.objects.get()

    # When she starts it, a worker imports it in the background while the page polls
    with start_worker(app, perform_ping_check=True, shutdown_timeout=30):
        page.get_by_role("button", name="Import 4 rows").click()
        expect(page.locator("#import-progress")).to_be_attached()
        expect(page.locator("#created-count")).to_have_text("3")
    expect(page.locator("#rejected-count")).to_have_text("1")
    screenshot("vendor-import-done")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE

    # The deals keep their history: the won deal closed when Pipedrive says it did
    rollout = Opportunity.objects.get(external_id="103")
    assert (rollout.status, rollout.stage_id) == ("won", sales["Won"].pk)
    assert rollout.closed_at == dt.datetime(2025, 9, 30, 16, 45, tzinfo=dt.UTC)
    assert rollout.created_at == dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
    assert list(
        StageChange.objects.filter(opportunity=rollout).values_list("to_stage__name", flat=True)
    ) == ["Proposal", "Won"]
    assert Opportunity.objects.get(external_id="101").stage_id == sales["Prospecting"].pk
    assert set(Opportunity.objects.values_list("owner_id", flat=True)) == {alice.pk}

    # And the rejected row downloads as it was, with the reason beside it
    with page.expect_download() as download:
        page.locator("#rejected-rows-download").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == [*HEADER, "Reason"]
    assert [line[0] for line in lines[1:]] == ["104"]
    assert "Nowhere Ltd" in lines[1][-1]
    assert errors == []
