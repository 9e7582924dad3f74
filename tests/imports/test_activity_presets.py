"""The activity presets (crm/imports/presets/*.json) fit the fields they map, and the test
files written from each vendor's documented columns import with them.

The preset loader is another part's (crm/imports/presets.py); here each preset's mapping is
resolved against the file's header the way the format says: a field takes the first of its
columns that the file has. Owners are named as each vendor names them: Salesforce by the
user's id, HubSpot and Pipedrive by full name.
"""

import json
from pathlib import Path

import pytest

from crm.imports.kinds import FIELDS
from crm.imports.options import ImportOptions
from pipeline.models import Opportunity, Task, Touchpoint
from tests.factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory
from tests.imports.importing import csv_source, run_import

PRESETS = Path(__file__).resolve().parents[2] / "crm" / "imports" / "presets"
FILES = Path(__file__).resolve().parent / "files"
ACTIVITY_PRESETS = {
    "salesforce_tasks": "salesforce_tasks.csv",
    "salesforce_events": "salesforce_events.csv",
    "hubspot_calls": "hubspot_calls.csv",
    "hubspot_meetings": None,
    "hubspot_emails": None,
    "hubspot_notes": None,
    "hubspot_tasks": "hubspot_tasks.csv",
    "pipedrive_activities": "pipedrive_activities.csv",
}


def preset(name):
    return json.loads((PRESETS / f"{name}.json").read_text())


def resolved_mapping(data, header):
    """Field -> the first of its columns present in ``header``."""
    mapping = {}
    for field, columns in data["mapping"].items():
        columns = [columns] if isinstance(columns, str) else columns
        present = [column for column in columns if column in header]
        if present:
            mapping[field] = present[0]
    return mapping


def import_with_preset(user, name, file_name, **options):
    data = preset(name)
    content = (FILES / file_name).read_text()
    header = csv_source(content).read()[0]
    mapping = resolved_mapping(data, header)
    result = run_import(
        user,
        data["kind"],
        content,
        mapping,
        options=ImportOptions(values=data["values"]),
        **options,
    )
    return result, mapping


@pytest.mark.parametrize("name", sorted(ACTIVITY_PRESETS))
def test_each_activity_preset_maps_only_fields_of_its_kind(name):
    data = preset(name)
    fields = {field.name for field in FIELDS[data["kind"]]}

    assert data["kind"] in {"tasks", "touchpoints"}
    assert set(data["mapping"]) <= fields
    assert set(data["values"]) <= fields
    assert data["source"]
    for field, words in data["values"].items():
        assert all(isinstance(word, str) for word in words.values()), field


@pytest.mark.parametrize(
    "name", sorted(name for name, file in ACTIVITY_PRESETS.items() if file is not None)
)
def test_each_test_file_has_its_presets_identifying_columns(name):
    data = preset(name)
    header = csv_source((FILES / ACTIVITY_PRESETS[name]).read_text()).read()[0]

    assert {column.casefold() for column in data["header"]} <= {
        column.casefold() for column in header
    }


@pytest.fixture
def alice(alice):
    """Alice as the old CRMs knew her: her Salesforce user id, her full name."""
    alice.external_id = "0055e00000Usr01AAA"
    alice.first_name, alice.last_name = "Alice", "Example"
    alice.save(update_fields=["external_id", "first_name", "last_name"])
    return alice


@pytest.fixture
def salesforce_org(alice, pipeline):
    """The records a Salesforce org's activities point at, imported earlier with their ids."""
    acme = CompanyFactory(name="Acme", external_id="0015e00000Acc01AAA", owner=alice)
    return {
        "account": acme,
        "contact": ContactFactory(
            external_id="0035e00000Grc01AAA", company=acme, owner=alice, first_name="Grace"
        ),
        "lead": LeadFactory(external_id="00Q5e00000Led01AAA", owner=alice),
        "deal": OpportunityFactory(
            title="Acme renewal",
            external_id="0065e00000Dl101AAA",
            owner=alice,
            company=acme,
            stage=pipeline.stages.get(name="Prospecting"),
        ),
    }


def test_a_salesforce_task_export_imports_as_tasks(alice, salesforce_org):
    result, mapping = import_with_preset(alice, "salesforce_tasks", "salesforce_tasks.csv")

    # IsClosed is the done column when the export has it (Status is the other choice).
    assert mapping["done"] == "IsClosed"
    assert result.reasons == {
        6: [
            "related: No deal, company, contact or lead with the external id "
            "“0065e00000Gone1AAA” that you can see."
        ]
    }
    tasks = {task.external_id: task for task in Task.objects.all()}
    quote = tasks["00T5e00000Abc01AAB"]
    assert quote.assignee == alice
    assert (quote.title, quote.notes, quote.done_at) == (
        "Send revised quote",
        "Include the volume discount",
        None,
    )
    assert (quote.opportunity, quote.contact) == (salesforce_org["deal"], salesforce_org["contact"])
    call = tasks["00T5e00000Abc02AAB"]
    assert call.done_at.isoformat() == "2025-03-18T15:40:00+00:00"
    welcome = tasks["00T5e00000Abc03AAB"]
    # No ActivityDate: due when it was done.
    assert (welcome.lead, welcome.due_at) == (salesforce_org["lead"], welcome.done_at)
    assert tasks["00T5e00000Abc04AAB"].company == salesforce_org["account"]


def test_a_salesforce_task_export_by_status_reads_completed_as_done(alice, salesforce_org):
    data = preset("salesforce_tasks")
    content = (FILES / "salesforce_tasks.csv").read_text()
    header = csv_source(content).read()[0]
    mapping = {**resolved_mapping(data, header), "done": "Status"}

    run_import(alice, "tasks", content, mapping, options=ImportOptions(values=data["values"]))

    done = {task.external_id: task.done_at is not None for task in Task.objects.all()}
    assert done == {
        "00T5e00000Abc01AAB": False,
        "00T5e00000Abc02AAB": True,
        "00T5e00000Abc03AAB": True,
        "00T5e00000Abc04AAB": False,
    }


def test_salesforce_events_import_as_meetings_and_touch_the_deal(alice, salesforce_org):
    result, _mapping = import_with_preset(alice, "salesforce_events", "salesforce_events.csv")

    assert result.reasons == {}
    meetings = {t.external_id: t for t in Touchpoint.objects.all()}
    discovery = meetings["00U5e00000Evt01AAA"]
    assert (discovery.kind, discovery.summary) == (
        "meeting",
        "Discovery meeting\n\nPains: reporting",
    )
    assert (discovery.opportunity, discovery.contact) == (
        salesforce_org["deal"],
        salesforce_org["contact"],
    )
    assert meetings["00U5e00000Evt02AAA"].company == salesforce_org["account"]
    # OwnerId is the Salesforce id Alice kept as her external id.
    assert discovery.by == alice
    deal = Opportunity.objects.get(pk=salesforce_org["deal"].pk)
    assert deal.last_touch_at == discovery.at


@pytest.fixture
def acme_crm(alice, pipeline):
    """What a HubSpot or Pipedrive account's activities name: Acme, Grace, the renewal."""
    acme = CompanyFactory(name="Acme", owner=alice)
    return {
        "company": acme,
        "contact": ContactFactory(
            first_name="Grace",
            last_name="Hopper",
            email="grace@acme.example",
            company=acme,
            owner=alice,
        ),
        "deal": OpportunityFactory(
            title="Acme renewal",
            owner=alice,
            company=acme,
            stage=pipeline.stages.get(name="Prospecting"),
        ),
    }


def test_a_hubspot_calls_export_imports_as_calls_with_outcomes(alice, acme_crm):
    result, _mapping = import_with_preset(alice, "hubspot_calls", "hubspot_calls.csv")

    assert result.reasons == {
        5: [
            "contact: No contact “Nobody Known (nobody@nowhere.example)” that you can see: "
            "import the contacts first, or check it."
        ]
    }
    calls = {t.external_id: t for t in Touchpoint.objects.all()}
    assert {t.kind for t in calls.values()} == {"call"}
    assert {t.by for t in calls.values()} == {alice}
    discovery = calls["51234501"]
    assert (discovery.outcome, discovery.summary) == (
        "connected",
        "Discovery call\n\nBudget confirmed for Q3",
    )
    assert (discovery.contact, discovery.company, discovery.opportunity) == (
        acme_crm["contact"],
        acme_crm["company"],
        acme_crm["deal"],
    )
    assert calls["51234502"].outcome == "voicemail"
    assert (calls["51234503"].company, calls["51234503"].outcome) == (
        acme_crm["company"],
        "no_answer",
    )


def test_a_pipedrive_activities_export_imports_what_happened(alice, acme_crm):
    result, _mapping = import_with_preset(alice, "pipedrive_activities", "pipedrive_activities.csv")

    assert result.reasons == {
        4: ["done: Not done yet: a planned activity is a task; import it as a task."]
    }
    touchpoints = {t.external_id: t for t in Touchpoint.objects.all()}
    assert {key: t.kind for key, t in touchpoints.items()} == {
        "301": "call",
        "302": "meeting",
        "304": "note",
    }
    intro = touchpoints["301"]
    assert intro.by == alice
    assert (intro.contact, intro.company, intro.opportunity) == (
        acme_crm["contact"],
        acme_crm["company"],
        acme_crm["deal"],
    )
    # The time it was marked done is when it happened.
    assert intro.at.isoformat() == "2025-03-10T09:35:00+00:00"
    deal = Opportunity.objects.get(pk=acme_crm["deal"].pk)
    assert deal.last_touch_at == touchpoints["302"].at


def test_the_open_rows_of_a_pipedrive_export_import_as_tasks(alice, acme_crm):
    content = (FILES / "pipedrive_activities.csv").read_text()
    mapping = {
        "external_id": "Activity - ID",
        "title": "Activity - Subject",
        "due_at": "Activity - Due date",
        "done": "Activity - Done",
        "done_at": "Activity - Marked as done time",
        "notes": "Activity - Note",
        "deal": "Activity - Deal",
        "company": "Activity - Organization",
    }
    values = preset("pipedrive_activities")["values"]

    result = run_import(alice, "tasks", content, mapping, options=ImportOptions(values=values))

    assert result.reasons == {}
    open_tasks = Task.objects.filter(done_at__isnull=True)
    assert [task.title for task in open_tasks] == ["Send contract"]


def test_a_hubspot_tasks_export_imports_as_tasks_open_and_done(alice, acme_crm):
    result, _mapping = import_with_preset(alice, "hubspot_tasks", "hubspot_tasks.csv")

    assert result.reasons == {}
    tasks = {task.external_id: task for task in Task.objects.all()}
    questionnaire = tasks["88001"]
    assert (questionnaire.done_at, questionnaire.notes) == (None, "Their IT asked for it")
    assert (questionnaire.contact, questionnaire.company, questionnaire.opportunity) == (
        acme_crm["contact"],
        acme_crm["company"],
        acme_crm["deal"],
    )
    assert questionnaire.created_at.isoformat() == "2025-03-18T10:00:00+00:00"
    # Completed without a completion time: done when it was due.
    assert tasks["88002"].done_at == tasks["88002"].due_at
