"""The stages-and-values step: a file's distinct stage and choice values mapped onto ours.

Alice (rep, North) uploads; Bob (her teammate), Charlie (South) and Ada (admin) may not
map her import's values.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Lead
from crm.imports import services
from crm.imports.kinds import RowCleaner, fields_of, translations_of
from crm.imports.lookups import StageLookup
from crm.imports.models import ColumnMapping, ImportJob, ImportStatus
from crm.imports.options import ImportOptions
from crm.imports.parsing import CellError, Row
from crm.imports.presets import preset_named
from crm.imports.value_mapping import FileValue, StageChoices, proposed_stages
from pipeline.models import Opportunity, Stage
from tests.factories import CompanyFactory, PipelineFactory, StageFactory
from tests.html import elements
from tests.imports.importing import run_import

FILES = Path(__file__).with_name("files")
# Page: session and user, the import, the deals' custom fields, the file's chunk (read
# through once for its values), the stages in use.
VALUES_QUERIES = 6


def upload_file(client, name: str, kind: str, content: bytes | None = None):
    data = (FILES / name).read_bytes() if content is None else content
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    form = {"kind": kind, "file": file, "encoding": "utf-8-sig", "delimiter": ""}
    response = client.post(reverse("imports:list"), form)
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


def accept_columns(client, job: ImportJob):
    """Post the proposed mapping as it stands, as a user who checks it and goes on."""
    return client.post(reverse("imports:columns", args=[job.pk]), job.mapping)


def chosen_options(content: bytes) -> dict[str, str]:
    """Each value's select -> the text of its selected option ("" when none is chosen)."""
    html = content.decode()
    result = {}
    for select in elements(html, "select"):
        name = select.attrs["name"]
        if not re.fullmatch(r"[a-z_]+-[0-9]+", name):
            continue  # the page's other selects, such as the language
        start = html.index(f'name="{name}"')
        end = html.index("</select>", start)
        picked = elements(html[start:end], "option", selected="")
        result[name] = picked[0].text if picked and picked[0].attrs["value"] else ""
    return result


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def salesforce_companies(alice):
    CompanyFactory(name="Acme Robotics", external_id="0015e00000Acme1AAA", owner=alice)
    CompanyFactory(name="Globex", external_id="0015e00000Glob2AAA", owner=alice)


@pytest.fixture
def salesforce_job(alice_client, pipeline, salesforce_companies):
    job = upload_file(alice_client, "salesforce_opportunities.csv", "deals")
    response = accept_columns(alice_client, job)
    assert response["Location"] == reverse("imports:values", args=[job.pk])
    return job


def test_the_upload_is_recognised_and_mapped_by_its_preset(alice_client, pipeline):
    job = upload_file(alice_client, "salesforce_opportunities.csv", "deals")

    assert job.preset == "salesforce_opportunities"
    assert {name: job.mapping[name] for name in ("external_id", "company", "stage")} == {
        "external_id": "Id",
        "company": "AccountId",
        "stage": "StageName",
    }
    page = alice_client.get(reverse("imports:columns", args=[job.pk]))
    [note] = elements(page.content, "p", id="recognised-export")
    assert note.text.startswith("Recognised: Salesforce opportunity export.")
    listing = alice_client.get(reverse("imports:list"))
    [row] = elements(listing.content, "tr", id=f"import-{job.pk}")
    assert "Recognised: Salesforce opportunity export" in row.text


def test_a_file_of_no_known_export_says_nothing(alice_client, pipeline):
    job = upload_file(alice_client, "x.csv", "deals", b"Deal;Account\nRenewal;Acme\n")

    assert job.preset == ""
    page = alice_client.get(reverse("imports:columns", args=[job.pk]))
    assert not elements(page.content, "p", id="recognised-export")


def test_a_remembered_mapping_wins_over_the_preset(alice_client, alice, pipeline):
    first = upload_file(alice_client, "pipedrive_deals.csv", "deals")
    ColumnMapping.objects.create(
        user=alice,
        kind="deals",
        header_signature=services.header_signature(first.header),
        mapping={"title": "Deal - Title", "company": "Deal - Organization"},
    )

    job = upload_file(alice_client, "pipedrive_deals.csv", "deals")

    assert job.preset == "pipedrive_deals"
    assert job.mapping == {"title": "Deal - Title", "company": "Deal - Organization"}


def test_the_leads_preset_brings_its_value_mappings(alice_client):
    job = upload_file(alice_client, "salesforce_leads.csv", "leads")

    options = ImportOptions.from_json(job.options)
    assert options.values["source"]["Trade Show"] == "event"
    assert job.mapping["status"] == "Status"


# The stage step


def test_the_stage_step_lists_every_value_with_its_count_and_proposal(alice_client, salesforce_job):
    response = alice_client.get(reverse("imports:values", args=[salesforce_job.pk]))

    assert response.status_code == 200
    assert [th.text for th in elements(response.content, "th", scope="row")] == [
        "Negotiation/Review",
        "Closed Won",
        "Prospecting",
    ]
    assert [td.text for td in elements(response.content, "td", class_="text-end")] == [
        "2",
        "1",
        "1",
    ]
    # Named like our stage, or Salesforce's won stage: chosen; the rest is the user's.
    assert chosen_options(response.content) == {
        "stage-0": "",
        "stage-1": "Won",
        "stage-2": "Prospecting",
    }
    # Every stage in use is offered, by pipeline.
    groups = elements(response.content, "optgroup")
    assert {group.attrs["label"] for group in groups} == {"Sales"}
    html = response.content.decode()
    start = html.index('name="stage-0"')
    first = html[start : html.index("</select>", start)]
    assert [option.text for option in elements(first, "option")] == [
        "— choose a stage —",
        "Prospecting",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert not Opportunity.objects.exists()


def test_posting_the_stages_saves_them_and_the_import_uses_them(
    alice_client, salesforce_job, pipeline, celery_eager, django_capture_on_commit_callbacks
):
    proposal = pipeline.stages.get(name="Proposal")
    won = pipeline.stages.get(name="Won")
    prospecting = pipeline.stages.get(name="Prospecting")

    response = alice_client.post(
        reverse("imports:values", args=[salesforce_job.pk]),
        {"stage-0": proposal.pk, "stage-1": won.pk, "stage-2": prospecting.pk},
    )

    assert response["Location"] == reverse("imports:preview", args=[salesforce_job.pk])
    salesforce_job.refresh_from_db()
    assert ImportOptions.from_json(salesforce_job.options).stages == {
        "Negotiation/Review": proposal.pk,
        "Closed Won": won.pk,
        "Prospecting": prospecting.pk,
    }
    assert not Opportunity.objects.exists()
    preview = alice_client.get(reverse("imports:preview", args=[salesforce_job.pk]))
    assert all(not row.problems for row in preview.context["rows"])

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:preview", args=[salesforce_job.pk]))

    salesforce_job.refresh_from_db()
    assert (salesforce_job.status, salesforce_job.created_count) == ("done", 4)
    assert dict(Opportunity.objects.values_list("external_id", "stage__name")) == {
        "0065e00000Opp01AAA": "Prospecting",
        "0065e00000Opp02AAA": "Proposal",
        "0065e00000Opp03AAA": "Won",
        "0065e00000Opp04AAA": "Proposal",
    }


def test_a_value_left_without_a_stage_is_refused_by_name(alice_client, salesforce_job, pipeline):
    response = alice_client.post(
        reverse("imports:values", args=[salesforce_job.pk]),
        {
            "stage-1": pipeline.stages.get(name="Won").pk,
            "stage-2": pipeline.stages.get(name="Prospecting").pk,
        },
    )

    assert response.status_code == 400
    [row] = elements(response.content, "tr", class_="table-danger")
    errors = elements(response.content, "div", class_="invalid-feedback")
    assert [error.text for error in errors] == ["Choose what “Negotiation/Review” means."]
    assert row.text.startswith("Negotiation/Review 2")
    salesforce_job.refresh_from_db()
    assert ImportOptions.from_json(salesforce_job.options).stages == {}


def test_the_step_is_skipped_when_no_column_needs_it(alice_client, acme, pipeline):
    job = upload_file(alice_client, "x.csv", "deals", b"Deal;Account\nRenewal;Acme\n")

    response = alice_client.post(
        reverse("imports:columns", args=[job.pk]), {"title": "Deal", "company": "Account"}
    )

    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    assert alice_client.get(reverse("imports:values", args=[job.pk]))["Location"] == reverse(
        "imports:preview", args=[job.pk]
    )


def test_an_empty_stage_column_needs_no_step(alice_client, acme, pipeline):
    job = upload_file(alice_client, "x.csv", "deals", b"Title;Company;Stage\nRenewal;Acme;\n")
    accept_columns(alice_client, job)

    response = alice_client.get(reverse("imports:values", args=[job.pk]))

    assert response["Location"] == reverse("imports:preview", args=[job.pk])


def test_a_column_with_too_many_values_is_not_a_stage_column(alice_client, acme, pipeline):
    content = "Title;Company;Stage\n" + "".join(f"D{n};Acme;S{n}\n" for n in range(201))
    job = upload_file(alice_client, "x.csv", "deals", content.encode())
    accept_columns(alice_client, job)

    response = alice_client.get(reverse("imports:values", args=[job.pk]))

    assert response.status_code == 400
    [error] = elements(response.content, "div", id="values-error")
    assert "“Stage” has more than 200 different values" in error.text


def test_a_stage_retired_since_the_page_was_shown_is_refused(alice, salesforce_job, pipeline):
    stage = pipeline.stages.get(name="Proposal")
    Stage.objects.filter(pk=stage.pk).update(archived_at="2026-01-01T00:00Z")

    with pytest.raises(ValidationError, match="Choose another stage for: Negotiation/Review"):
        services.map_values(
            by=alice, job_id=salesforce_job.pk, stages={"Negotiation/Review": stage.pk}, values={}
        )


# The values step


def test_lead_sources_and_statuses_are_mapped_before_the_import(
    alice_client, celery_eager, django_capture_on_commit_callbacks
):
    job = upload_file(alice_client, "salesforce_leads.csv", "leads")
    assert accept_columns(alice_client, job)["Location"] == reverse("imports:values", args=[job.pk])

    page = alice_client.get(reverse("imports:values", args=[job.pk]))

    # The preset's translations are proposed: Salesforce's picklists onto ours.
    assert [th.text for th in elements(page.content, "th", scope="row")] == [
        "Cold Call",
        "Trade Show",
        "Web",
        "Working - Contacted",
        "Open - Not Contacted",
    ]
    assert chosen_options(page.content) == {
        "source-0": "Outbound",
        "source-1": "Event",
        "source-2": "Website",
        "status-0": "Contacted",
        "status-1": "New",
    }

    response = alice_client.post(
        reverse("imports:values", args=[job.pk]),
        {
            "source-0": "outbound",
            "source-1": "event",
            "source-2": "referral",
            "status-0": "qualified",
            "status-1": "new",
        },
    )
    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:preview", args=[job.pk]))

    assert dict(Lead.objects.values_list("last_name", "source")) == {
        "Lindqvist": "outbound",
        "Nowak": "event",
        "Duarte": "referral",
    }
    assert dict(Lead.objects.values_list("last_name", "status")) == {
        "Lindqvist": "new",
        "Nowak": "qualified",
        "Duarte": "qualified",
    }


def test_a_value_outside_our_choices_is_refused(alice, alice_client):
    job = upload_file(alice_client, "salesforce_leads.csv", "leads")
    accept_columns(alice_client, job)

    with pytest.raises(ValidationError, match="Choose one of our values for: Cold Call"):
        services.map_values(
            by=alice, job_id=job.pk, stages={}, values={"source": {"Cold Call": "telepathy"}}
        )
    with pytest.raises(ValidationError, match="A Leads import maps no values of email"):
        services.map_values(by=alice, job_id=job.pk, stages={}, values={"email": {"a": "b"}})
    job.refresh_from_db()
    assert "telepathy" not in str(job.options)


@pytest.mark.django_db
def test_a_translated_value_is_read_by_the_fields_own_rules():
    fields = fields_of("leads")
    columns = {"last_name": 0, "source": 1}
    translations = translations_of({"source": {"Cold Call": "outbound", "Fax": "nonsense"}})

    clean = RowCleaner(columns, fields, translations=translations)
    cold = clean(Row(2, ["Nowak", " cold call "]))
    fax = clean(Row(3, ["Nowak", "Fax"]))
    web = clean(Row(4, ["Nowak", "Website"]))

    assert cold.values["source"] == "outbound"
    assert [problem.field for problem in fax.problems] == ["source"]
    assert web.values["source"] == "web"


def test_leads_import_their_status(alice):
    result = run_import(alice, "leads", "last_name,status\nNowak,Contacted\nDuarte,sleeping\n")

    assert Lead.objects.get().status == "contacted"
    assert result.reasons[3] == [
        "status: “sleeping” is not a lead status; use one of: new, contacted, qualified, "
        "disqualified, converted."
    ]


# The stage lookup reads the choices first


def test_chosen_stages_come_before_names(pipeline):
    proposal = pipeline.stages.get(name="Proposal")
    lookup = StageLookup({"Prospecting": proposal.pk, "Negotiation/Review": proposal.pk})

    found = lookup.stage(pipeline_name="", stage_name="prospecting", current_pipeline_id=None)

    assert found == proposal
    assert lookup.stage(pipeline_name="", stage_name="Won", current_pipeline_id=None).name == "Won"


def test_a_row_naming_another_pipeline_takes_its_stage_of_the_chosen_name(pipeline):
    other = PipelineFactory(name="Partners", position=1)
    partner_proposal = StageFactory(pipeline=other, name="Proposal", position=1)
    lookup = StageLookup({"Contract Sent": pipeline.stages.get(name="Proposal").pk})

    found = lookup.stage(
        pipeline_name="Partners", stage_name="Contract Sent", current_pipeline_id=None
    )

    assert found == partner_proposal
    won = StageLookup({"Closed Won": pipeline.stages.get(name="Won").pk})
    with pytest.raises(CellError, match="mapped to “Won” of “Sales”, and “Partners” has no"):
        won.stage(pipeline_name="Partners", stage_name="Closed Won", current_pipeline_id=None)


def test_the_deal_import_uses_the_options_stages(alice, acme, pipeline):
    proposal = pipeline.stages.get(name="Proposal")

    result = run_import(
        alice,
        "deals",
        "title,company,stage\nRenewal,Acme,Contract Sent\n",
        options=ImportOptions(stages={"Contract Sent": proposal.pk}),
    )

    assert result.outcome.created == 1
    assert Opportunity.objects.get().stage == proposal


# Who may use the step


@pytest.mark.parametrize("name", ["bob", "charlie", "ada"])
def test_nobody_else_maps_an_imports_values(client, request, salesforce_job, pipeline, name):
    client.force_login(request.getfixturevalue(name))
    url = reverse("imports:values", args=[salesforce_job.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"stage-0": pipeline.stages.first().pk}).status_code == 404
    salesforce_job.refresh_from_db()
    assert ImportOptions.from_json(salesforce_job.options).stages == {}


def test_the_step_asks_for_a_login(client, salesforce_job):
    client.logout()

    response = client.get(reverse("imports:values", args=[salesforce_job.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_started_import_goes_to_its_report(alice_client, salesforce_job):
    ImportJob.objects.filter(pk=salesforce_job.pk).update(status=ImportStatus.QUEUED)

    response = alice_client.get(reverse("imports:values", args=[salesforce_job.pk]))

    assert response["Location"] == reverse("imports:detail", args=[salesforce_job.pk])


@pytest.mark.parametrize("rows", [4, 3000])
def test_values_page_query_count(alice_client, acme, pipeline, rows, django_assert_num_queries):
    stages = ["Prospecting", "Proposal", "Closed Won", "Closed Lost"]
    content = '"Id","Name","StageName","CloseDate","AccountId"\n' + "".join(
        f'"006{n}","Deal {n}","{stages[n % 4]}","2026-01-31","Acme"\n' for n in range(rows)
    )
    job = upload_file(alice_client, "x.csv", "deals", content.encode())
    accept_columns(alice_client, job)

    with django_assert_num_queries(VALUES_QUERIES):
        response = alice_client.get(reverse("imports:values", args=[job.pk]))

    assert [td.text for td in elements(response.content, "td", class_="text-end")] == [
        f"{count:,}" for count in [rows // 4] * 4
    ]


def post_proposals(client, job: ImportJob, chosen: dict[str, str]):
    """Post the step as proposed, with ``chosen`` (file value -> our stage's name) added."""
    page = client.get(reverse("imports:values", args=[job.pk]))
    form = page.context["form"]
    stages = {stage.name: stage.pk for stage in Stage.objects.all()}
    data = {}
    for section in form.sections:
        for index, item in enumerate(section.values):
            proposal = section.proposals[item.value]
            data[f"{section.field}-{index}"] = (
                stages[chosen[item.value]] if item.value in chosen else proposal
            )
    return client.post(reverse("imports:values", args=[job.pk]), data)


@pytest.mark.parametrize(
    ("file_name", "chosen", "stages"),
    [
        (
            "hubspot_deals.csv",
            {"Appointment Scheduled": "Prospecting", "Contract Sent": "Proposal"},
            {"Prospecting": 2, "Proposal": 1, "Won": 1},
        ),
        (
            "pipedrive_deals.csv",
            {"Qualified": "Prospecting", "Proposal Made": "Proposal"},
            {"Prospecting": 2, "Proposal": 1},
        ),
    ],
)
def test_a_vendors_deals_import_through_the_pages_with_no_mapping_by_hand(
    alice_client,
    acme,
    pipeline,
    celery_eager,
    django_capture_on_commit_callbacks,
    file_name,
    chosen,
    stages,
):
    job = upload_file(alice_client, file_name, "deals")
    assert accept_columns(alice_client, job)["Location"] == reverse("imports:values", args=[job.pk])

    response = post_proposals(alice_client, job, chosen)

    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("imports:preview", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.rejected_count) == ("done", 0), job.error
    found: dict[str, int] = {}
    for name in Opportunity.objects.values_list("stage__name", flat=True):
        found[name] = found.get(name, 0) + 1
    assert found == stages


@pytest.mark.django_db
def test_a_vendors_lost_value_goes_to_the_first_pipelines_lost_stage(pipeline):
    values = [FileValue("closedlost", 3), FileValue("Closed Won", 2), FileValue("Pitch", 1)]

    proposals = proposed_stages(values, StageChoices(), preset_named("hubspot_deals"), {})

    assert proposals == {
        "closedlost": pipeline.stages.get(name="Lost").pk,
        "Closed Won": pipeline.stages.get(name="Won").pk,
        "Pitch": None,
    }
    # Without a recognised export, only names count.
    assert set(proposed_stages(values, StageChoices(), None, {}).values()) == {None}
