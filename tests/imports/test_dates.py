"""Date columns are read one way throughout, decided from all their values before writing.

The files follow what the vendors document: Salesforce reports in a US locale write
``3/18/2017`` and ``3/18/2017, 2:05 PM``; Data Loader and the API write
``2017-03-18T14:05:00.000+0000`` or ``...000Z``; HubSpot and Pipedrive exports write
``2017-03-18`` or ``2017-03-18 14:05:00``; a European spreadsheet writes ``18.03.2017``.
"""

import datetime as dt
import io
import itertools
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from crm.imports.dates import (
    AS_WRITTEN,
    DAY_FIRST,
    MONTH_FIRST,
    DateOrderNeeded,
    DateScan,
    Evidence,
    readers,
    readings,
)
from crm.imports.kinds import Field, text
from crm.imports.models import ImportChunk, ImportJob, ImportStatus
from crm.imports.options import ImportOptions
from crm.imports.parsing import ImportFileError, Row
from crm.imports.runner import run_import as run_uploaded_import
from pipeline.models import Opportunity
from tests.html import element, elements
from tests.imports.importing import run_import
from tests.imports.test_views import upload

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")

# A Salesforce opportunity report exported in a US locale: month first throughout, and
# "4/2/2017" (2 April) is read as 4 February by a day-first reader.
MONTH_FIRST_REPORT = """Opportunity Name,Account Name,Close Date
Renewal,Acme,3/18/2017
Pilot,Acme,4/2/2017
Expansion,Acme,12/31/2017
Upsell,Acme,01/05/2018
Support,Acme,11/11/2017
"""
MONTH_FIRST_DATES = {
    "Renewal": dt.date(2017, 3, 18),
    "Pilot": dt.date(2017, 4, 2),
    "Expansion": dt.date(2017, 12, 31),
    "Upsell": dt.date(2018, 1, 5),
    "Support": dt.date(2017, 11, 11),
}
# No day above 12 anywhere: 3 April or 4 March?
AMBIGUOUS = """Opportunity Name,Account Name,Close Date
Renewal,Acme,03/04/2017
Pilot,Acme,05/06/2017
Expansion,Acme,12/11/2017
"""
# Re-saved by hand in two locales: 18/03/2017 can only be day first, 3/25/2017 only month first.
CONTRADICTORY = """Opportunity Name,Account Name,Close Date
Renewal,Acme,18/03/2017
Pilot,Acme,03/04/2017
Expansion,Acme,3/25/2017
"""
DEALS_MAPPING = {"title": "Opportunity Name", "company": "Account Name"}
CLOSE = {**DEALS_MAPPING, "expected_close_date": "Close Date"}


def closes() -> dict[str, dt.date]:
    return dict(Opportunity.objects.values_list("title", "expected_close_date"))


# Reading one value


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2017-03-18", dt.datetime(2017, 3, 18)),
        ("2017-03-18 14:05", dt.datetime(2017, 3, 18, 14, 5)),
        ("2017-03-18 14:05:09", dt.datetime(2017, 3, 18, 14, 5, 9)),
        ("2017-03-18T14:05:00.250Z", dt.datetime(2017, 3, 18, 14, 5, 0, 250_000, tzinfo=UTC)),
        (
            "2017-03-18T14:05:00.000+0000",
            dt.datetime(2017, 3, 18, 14, 5, tzinfo=UTC),
        ),
        (
            "2017-03-18T14:05:00.000 GMT-08:00",
            dt.datetime(2017, 3, 18, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
        ),
        (
            "2017-03-18T14:05:00-05:00",
            dt.datetime(2017, 3, 18, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
    ],
)
def test_iso_values_read_the_same_whatever_the_order(value, moment):
    assert readings(value) == {AS_WRITTEN: moment}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3/18/2017", {MONTH_FIRST: dt.datetime(2017, 3, 18)}),
        ("3/18/2017, 2:05 PM", {MONTH_FIRST: dt.datetime(2017, 3, 18, 14, 5)}),
        ("03/18/2017 12:30 AM", {MONTH_FIRST: dt.datetime(2017, 3, 18, 0, 30)}),
        ("18/03/2017", {DAY_FIRST: dt.datetime(2017, 3, 18)}),
        ("18-03-17 09:15", {DAY_FIRST: dt.datetime(2017, 3, 18, 9, 15)}),
        # Dots are written day first only.
        ("03.04.2017", {DAY_FIRST: dt.datetime(2017, 4, 3)}),
        (
            "03/04/2017",
            {DAY_FIRST: dt.datetime(2017, 4, 3), MONTH_FIRST: dt.datetime(2017, 3, 4)},
        ),
    ],
)
def test_numeric_values_read_in_each_order_they_allow(value, expected):
    assert readings(value) == expected


@pytest.mark.parametrize(
    "value", ["31/31/2017", "2017-02-30", "3/18/2017 13:05 PM", "18.03.2017 25:00", "soon", "42812"]
)
def test_values_that_fit_no_format_have_no_reading(value):
    assert readings(value) == {}


def test_serial_numbers_are_dates_only_from_spreadsheets():
    assert readings("42812.5", serials=True) == {AS_WRITTEN: dt.datetime(2017, 3, 18, 12)}
    assert readings("60", serials=True) == {}  # before Excel's 1 March 1900


@pytest.mark.parametrize("separator", "/.-")
def test_the_evidence_of_a_value_agrees_with_its_readings(separator):
    # The upload classifies every cell without building dates; it must agree with reading.
    for first, second, year, time in itertools.product(
        range(34), range(34), ("2016", "2017", "1900", "16"), ("", " 25:00", " 2:05 PM")
    ):
        value = f"{first}{separator}{second}{separator}{year}{time}"
        found = readings(value)
        evidence = Evidence()
        evidence.add(value)
        day_first, month_first = found.get(DAY_FIRST), found.get(MONTH_FIRST)
        expected = Evidence(
            day_first_only=value if day_first and not month_first else "",
            month_first_only=value if month_first and not day_first else "",
            either_way=value if day_first and month_first and day_first != month_first else "",
        )
        assert evidence == expected, value


# Deciding a column


def decide(*cells: str, options: ImportOptions | None = None, temporal: str = "date"):
    field = Field("at", "At", text(40), temporal=temporal)
    scan = DateScan.of(header=["At"], columns={"at": 0}, fields=[field])
    for line, cell in enumerate(cells, start=2):
        scan.add(Row(line, [cell]))
    (column,) = scan.decide(options)
    return column


def test_a_single_month_first_value_decides_the_column():
    column = decide("03/04/2017", "3/18/2017", "05/06/2017")

    assert (column.order, column.decided_by, column.example) == (MONTH_FIRST, "file", "3/18/2017")


def test_an_ambiguous_column_waits_for_the_user_then_takes_their_order():
    assert decide("03/04/2017", "12/11/2017").needs_order

    chosen = decide("03/04/2017", options=ImportOptions(date_orders={"at": MONTH_FIRST}))
    assert (chosen.order, chosen.decided_by) == (MONTH_FIRST, "user")
    every = decide("03/04/2017", options=ImportOptions(date_order=DAY_FIRST))
    assert (every.order, every.needs_order) == (DAY_FIRST, False)


def test_values_that_read_the_same_both_ways_need_no_order():
    column = decide("2017-03-04", "05/05/2017")

    assert not column.needs_order
    (read,) = readers([column], tz=UTC).values()
    assert read("05/05/2017") == dt.date(2017, 5, 5)


def test_a_contradictory_column_is_refused_with_an_example_of_each_order():
    with pytest.raises(ImportFileError) as refused:
        decide("18/03/2017", "03/04/2017", "3/25/2017")

    message = str(refused.value)
    assert "“At”" in message
    assert "“18/03/2017” can only be March 18, 2017 (day first)" in message
    assert "“3/25/2017” only March 25, 2017 (month first)" in message


def test_times_without_an_offset_are_in_the_users_zone_and_offsets_are_kept():
    column = decide(
        "2017-03-18 14:05", "2017-03-18T14:05:00.000Z", "3/18/2017, 2:05 PM", temporal="datetime"
    )
    (read,) = readers([column], tz=BERLIN).values()

    assert read("2017-03-18 14:05") == dt.datetime(2017, 3, 18, 14, 5, tzinfo=BERLIN)
    assert read("2017-03-18T14:05:00.000Z") == dt.datetime(2017, 3, 18, 14, 5, tzinfo=UTC)
    assert read("3/18/2017, 2:05 PM") == dt.datetime(2017, 3, 18, 14, 5, tzinfo=BERLIN)
    assert read("2017-03-18") == dt.datetime(2017, 3, 18, tzinfo=BERLIN)


# Importing


def test_a_month_first_file_imports_with_every_date_right(alice, acme, pipeline):
    result = run_import(alice, "deals", MONTH_FIRST_REPORT, CLOSE)

    assert result.rejections == []
    assert closes() == MONTH_FIRST_DATES


def test_an_all_ambiguous_file_asks_and_writes_nothing(alice, acme, pipeline):
    with pytest.raises(DateOrderNeeded) as asked:
        run_import(alice, "deals", AMBIGUOUS, CLOSE)

    assert "“03/04/2017” is April 3, 2017 day first, March 4, 2017 month first" in str(asked.value)
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("order", "renewal"), [(DAY_FIRST, dt.date(2017, 4, 3)), (MONTH_FIRST, dt.date(2017, 3, 4))]
)
def test_an_ambiguous_file_imports_in_the_order_chosen(alice, acme, pipeline, order, renewal):
    options = ImportOptions(date_orders={"expected_close_date": order})

    run_import(alice, "deals", AMBIGUOUS, CLOSE, options=options)

    assert closes()["Renewal"] == renewal


def test_a_contradictory_file_is_refused_and_writes_nothing(alice, acme, pipeline):
    # Even an order chosen for every column does not make the file consistent.
    with pytest.raises(ImportFileError, match="mixes two orders") as refused:
        run_import(alice, "deals", CONTRADICTORY, CLOSE, options=ImportOptions(date_order="dmy"))

    assert "“18/03/2017”" in str(refused.value)
    assert "“3/25/2017”" in str(refused.value)
    assert not Opportunity.objects.exists()


def test_iso_moments_with_offsets_mix_with_month_first_values(alice, acme, pipeline):
    # Data Loader moments, a US report date and a moment late in the evening in New York,
    # which is already the next day for a user in Berlin.
    alice.time_zone = "Europe/Berlin"
    alice.save(update_fields=["time_zone"])
    content = (
        "Opportunity Name,Account Name,Close Date\n"
        "Renewal,Acme,2017-03-18T10:00:00.000+0000\n"
        "Pilot,Acme,4/22/2017\n"
        "Expansion,Acme,2017-06-30T23:30:00-04:00\n"
        "Upsell,Acme,2017-12-31 08:00:00\n"
    )

    result = run_import(alice, "deals", content, CLOSE)

    assert result.rejections == []
    assert closes() == {
        "Renewal": dt.date(2017, 3, 18),
        "Pilot": dt.date(2017, 4, 22),
        "Expansion": dt.date(2017, 7, 1),
        "Upsell": dt.date(2017, 12, 31),
    }


def test_values_that_fit_no_format_are_row_errors(alice, acme, pipeline):
    content = MONTH_FIRST_REPORT + "Later,Acme,13/45/2017\nNever,Acme,someday\n"

    result = run_import(alice, "deals", content, CLOSE)

    assert sorted(result.reasons) == [7, 8]
    assert "month first" in result.reasons[7][0]
    assert closes() == MONTH_FIRST_DATES


# The command line


@pytest.fixture
def ambiguous_file(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(AMBIGUOUS, encoding="utf-8")
    return path


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


CLI_MAP = ["--map", "title=Opportunity Name", "--map", "company=Account Name",
           "--map", "expected_close_date=Close Date", "--user", "alice"]  # fmt: skip


def test_command_asks_for_a_date_order_when_a_column_is_ambiguous(
    alice, acme, pipeline, ambiguous_file
):
    with pytest.raises(CommandError, match=r"--date-order dmy .* or mdy") as asked:
        command("deals", str(ambiguous_file), *CLI_MAP)

    assert "“Close Date”" in str(asked.value)
    assert not Opportunity.objects.exists()


def test_command_reads_an_ambiguous_column_in_the_order_given(
    alice, acme, pipeline, ambiguous_file
):
    out = command("deals", str(ambiguous_file), *CLI_MAP, "--date-order", "mdy")

    assert (
        "Close Date: dates read month first, as --date-order says (“03/04/2017” is March 4, 2017)"
        in out
    )
    assert closes() == {
        "Renewal": dt.date(2017, 3, 4),
        "Pilot": dt.date(2017, 5, 6),
        "Expansion": dt.date(2017, 12, 11),
    }


# The web pages


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def upload_and_map(client, content: str) -> ImportJob:
    assert upload(client, content).status_code == 302
    job = ImportJob.objects.latest("pk")
    response = client.post(reverse("imports:columns", args=[job.pk]), CLOSE)
    assert response.status_code == 302, response.context["form"].errors
    return job


def date_line(response) -> str:
    return element(response.content, "li", id="date-column-expected_close_date").text


def import_disabled(response) -> bool:
    button = element(response.content, "button", type="submit", class_="btn-primary")
    return "disabled" in button.attrs


def test_preview_says_a_column_is_read_month_first(alice_client, acme, pipeline):
    job = upload_and_map(alice_client, MONTH_FIRST_REPORT)

    response = alice_client.get(reverse("imports:preview", args=[job.pk]))

    assert "read month first: “3/18/2017” can only be March 18, 2017." in date_line(response)
    assert not import_disabled(response)
    pilot = next(row for row in response.context["rows"] if row.line == 3)
    assert "2017-04-02" in pilot.values


def test_preview_asks_for_the_order_and_the_import_uses_the_choice(
    alice_client, acme, pipeline, celery_eager, django_capture_on_commit_callbacks
):
    job = upload_and_map(alice_client, AMBIGUOUS)

    # Given an ambiguous column, the preview asks and the import cannot start.
    response = alice_client.get(reverse("imports:preview", args=[job.pk]))
    assert "every value reads both ways" in date_line(response)
    assert import_disabled(response)
    radios = elements(response.content, "input", type="radio")
    assert [radio.attrs["value"] for radio in radios] == ["dmy", "mdy"]

    # When the user chooses month first,
    response = alice_client.post(
        reverse("imports:date_orders", args=[job.pk]), {"expected_close_date": "mdy"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.options["date_orders"] == {"expected_close_date": "mdy"}
    response = alice_client.get(reverse("imports:preview", args=[job.pk]))
    assert "read month first, as you chose" in date_line(response)
    assert not import_disabled(response)

    # then the import reads every date that way.
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:preview", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    assert closes()["Renewal"] == dt.date(2017, 3, 4)


def test_preview_refuses_a_contradictory_column_with_both_readings(alice_client, acme, pipeline):
    job = upload_and_map(alice_client, CONTRADICTORY)

    response = alice_client.get(reverse("imports:preview", args=[job.pk]))

    alert = element(response.content, "div", class_="alert-danger").text
    assert "“18/03/2017” can only be March 18, 2017 (day first)" in alert
    assert "“3/25/2017” only March 25, 2017 (month first)" in alert
    assert import_disabled(response)


def test_an_import_waiting_for_a_date_order_does_not_start(
    alice_client, acme, pipeline, django_capture_on_commit_callbacks
):
    job = upload_and_map(alice_client, AMBIGUOUS)

    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_client.post(reverse("imports:preview", args=[job.pk]), follow=True)

    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED
    assert response.redirect_chain == [(reverse("imports:preview", args=[job.pk]), 302)]
    assert "read both ways" in " ".join(str(message) for message in response.context["messages"])


def test_the_worker_refuses_an_import_whose_order_was_never_chosen(alice_client, acme, pipeline):
    # Given an import queued without its order (the start's check bypassed)
    job = upload_and_map(alice_client, AMBIGUOUS)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)

    job = run_uploaded_import(job_id=job.pk)

    assert job.status == ImportStatus.FAILED
    assert "read both ways" in job.error
    assert not Opportunity.objects.exists()


def test_an_order_that_is_not_one_is_refused(alice_client, acme, pipeline):
    job = upload_and_map(alice_client, AMBIGUOUS)

    alice_client.post(reverse("imports:date_orders", args=[job.pk]), {"expected_close_date": "ymd"})

    job.refresh_from_db()
    assert job.options.get("date_orders", {}) == {}


@pytest.mark.parametrize("name", ["bob", "charlie", "ada"])
def test_nobody_else_chooses_an_imports_date_order(client, request, alice, acme, pipeline, name):
    client.force_login(alice)
    job = upload_and_map(client, AMBIGUOUS)
    client.force_login(request.getfixturevalue(name))

    response = client.post(
        reverse("imports:date_orders", args=[job.pk]), {"expected_close_date": "mdy"}
    )

    assert response.status_code == 404
    job.refresh_from_db()
    assert job.options.get("date_orders", {}) == {}


# The preview decides the dates from what the upload recorded and reads only the rows it
# shows: session and user, the import, the file's first chunk, stages, companies by
# external id and by name, the deals' custom fields; a file of several chunks costs the same.
PREVIEW_WITH_DATES_QUERIES = 8


@pytest.mark.parametrize("rows", [3, 45_000])
def test_preview_query_count_does_not_grow_with_rows(
    alice_client, acme, pipeline, rows, django_assert_num_queries
):
    content = "Opportunity Name,Account Name,Close Date\n" + "".join(
        f"Deal {n},Acme,{n % 12 + 1}/{n % 15 + 13}/2017\n" for n in range(rows)
    )
    job = upload_and_map(alice_client, content)

    with django_assert_num_queries(PREVIEW_WITH_DATES_QUERIES):
        response = alice_client.get(reverse("imports:preview", args=[job.pk]))

    assert len(response.context["rows"]) == min(rows, 20)
    assert response.context["dates"][0].order == MONTH_FIRST
    assert ImportChunk.objects.filter(job=job).count() == (1 if rows == 3 else 2)


def test_the_upload_records_what_each_columns_dates_allow(alice_client, acme, pipeline):
    job = upload_and_map(alice_client, MONTH_FIRST_REPORT)

    assert job.date_evidence == {
        "Close Date": {"month_first_only": "3/18/2017", "either_way": "4/2/2017"}
    }


def test_a_value_far_below_the_preview_decides_its_column(alice_client, acme, pipeline):
    # Given 40 rows that read both ways and, on line 42, one that can only be month first
    lines = [f"Deal {n},Acme,{n % 12 + 1}/{n % 12 + 1 if n % 2 else 1}/2017" for n in range(40)]
    content = "Opportunity Name,Account Name,Close Date\n" + "\n".join(lines) + "\n"
    content += "Late,Acme,3/25/2017\n"
    job = upload_and_map(alice_client, content)

    response = alice_client.get(reverse("imports:preview", args=[job.pk]))

    assert "read month first: “3/25/2017” can only be March 25, 2017." in date_line(response)


# Session and user, the import (may the user edit it?), then in a savepoint the import
# locked and its options saved.
DATE_ORDERS_QUERIES = 7


def test_choosing_a_date_order_query_count(alice_client, acme, pipeline, django_assert_num_queries):
    job = upload_and_map(alice_client, AMBIGUOUS)

    with django_assert_num_queries(DATE_ORDERS_QUERIES):
        alice_client.post(
            reverse("imports:date_orders", args=[job.pk]), {"expected_close_date": "dmy"}
        )


def test_command_says_a_column_is_read_month_first(alice, acme, pipeline, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(MONTH_FIRST_REPORT, encoding="utf-8")

    out = command("deals", str(path), *CLI_MAP)

    assert "Close Date: dates read month first (“3/18/2017” can only be March 18, 2017)" in out
    assert closes() == MONTH_FIRST_DATES
