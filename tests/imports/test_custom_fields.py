"""Custom fields as import targets: a column per active field, cells read by its kind.

A file per kind (companies, contacts, leads, deals); a bad cell rejects its row, naming the
line and the field, and the row writes nothing, while the file's good rows import.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.models import Company, Contact, Lead, RecordField, RecordKind
from crm.imports.kinds import fields_of
from crm.imports.models import ImportJob
from crm.imports.parsing import ImportFileError
from crm.imports.services import guessed_mapping
from pipeline.models import DealField, Opportunity
from tests.html import elements, options
from tests.imports.importing import run_import


def tier_and_seats(kind):
    """A choice field "Tier", a number "Seats", a yes/no "VIP", an archived "Old"."""

    def make(**fields):
        if kind is None:
            return DealField.objects.create(**fields)
        return RecordField.objects.create(record=kind, **fields)

    choices = [{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}]
    make(key="tier", label="Tier", kind="choice", choices=choices, position=0)
    make(key="seats", label="Seats", kind="number", position=1)
    make(key="vip", label="VIP", kind="boolean", position=2)
    make(key="old", label="Old", kind="text", position=3, archived_at="2026-01-01T00:00Z")


# import kind, record kind, model, the file (header, a good row, a bad row, a row to update)
FILES = [
    (
        "companies",
        RecordKind.COMPANY,
        Company,
        "external_id,name,Tier,Seats,VIP\n"
        "C-10,Globex,gold,1200,yes\n"
        "C-11,Initech,platinum,5,no\n"
        "C-12,Umbrella,,,\n",
    ),
    (
        "contacts",
        RecordKind.CONTACT,
        Contact,
        "external_id,first_name,company,Tier,Seats,VIP\n"
        "P-10,Ada,Acme,gold,1200,yes\n"
        "P-11,Grace,Acme,platinum,5,no\n"
        "P-12,Joan,Acme,,,\n",
    ),
    (
        "leads",
        RecordKind.LEAD,
        Lead,
        "external_id,last_name,Tier,Seats,VIP\n"
        "L-10,Lovelace,gold,1200,yes\n"
        "L-11,Hopper,platinum,5,no\n"
        "L-12,Clarke,,,\n",
    ),
    (
        "deals",
        None,
        Opportunity,
        "external_id,title,company,Tier,Seats,VIP\n"
        "D-10,Renewal,Acme,gold,1200,yes\n"
        "D-11,Upsell,Acme,platinum,5,no\n"
        "D-12,Pilot,Acme,,,\n",
    ),
]
KIND_IDS = [kind for kind, *_ in FILES]


def mapped(kind, content):
    """The mapping the upload guesses: the custom fields' columns are their labels."""
    return guessed_mapping(kind=kind, header=content.splitlines()[0].split(","))


@pytest.mark.parametrize(("kind", "record", "model", "content"), FILES, ids=KIND_IDS)
def test_each_active_custom_field_is_a_mapping_target(db, kind, record, model, content):
    tier_and_seats(record)

    names = [field.name for field in fields_of(kind)]

    assert names[-3:] == ["custom_fields.tier", "custom_fields.seats", "custom_fields.vip"]
    assert "custom_fields.old" not in names
    assert {field: column for field, column in mapped(kind, content).items() if "." in field} == {
        "custom_fields.tier": "Tier",
        "custom_fields.seats": "Seats",
        "custom_fields.vip": "VIP",
    }


@pytest.mark.parametrize(("kind", "record", "model", "content"), FILES, ids=KIND_IDS)
def test_a_file_of_each_kind_imports_its_custom_values(
    alice, acme, pipeline, kind, record, model, content
):
    tier_and_seats(record)

    result = run_import(alice, kind, content, mapping=mapped(kind, content))

    assert (result.outcome.created, result.outcome.rejected) == (2, 1)
    # The bad cell names its line (the header is line 1) and its field, by key and label.
    assert result.reasons == {
        3: ["custom_fields.tier: Tier: Choose one of: gold, silver."],
    }
    good, bad, empty = (line.split(",")[0] for line in content.splitlines()[1:])
    by_id = dict(
        model.objects.filter(external_id__in=[good, bad, empty]).values_list(
            "external_id", "custom_fields"
        )
    )
    # Stored as the kind stores it: the choice's key, the number as a canonical string;
    # the rejected row wrote nothing; empty cells store no key.
    assert by_id == {good: {"tier": "gold", "seats": "1200", "vip": True}, empty: {}}


@pytest.mark.parametrize(("kind", "record", "model", "content"), FILES, ids=KIND_IDS)
def test_a_reimport_changes_only_the_custom_values_it_gives(
    alice, acme, pipeline, kind, record, model, content
):
    tier_and_seats(record)
    run_import(alice, kind, content, mapping=mapped(kind, content))
    header, first = content.splitlines()[:2]
    external_id = first.split(",")[0]
    # The same row with another tier and an empty Seats cell.
    changed = first.replace("gold,1200", "silver,")

    result = run_import(alice, kind, f"{header}\n{changed}\n", mapping=mapped(kind, content))

    assert (result.outcome.updated, result.outcome.rejected) == (1, 0)
    stored = model.objects.get(external_id=external_id).custom_fields
    assert stored == {"tier": "silver", "seats": "1200", "vip": True}


def test_an_archived_field_is_no_mapping_target(alice, acme):
    tier_and_seats(RecordKind.COMPANY)

    with pytest.raises(ImportFileError, match=r"Unknown field\(s\) custom_fields\.old"):
        run_import(
            alice,
            "companies",
            "name,Old\nGlobex,x\n",
            mapping={"name": "name", "custom_fields.old": "Old"},
        )
    assert not Company.objects.filter(name="Globex").exists()


def test_a_reimported_deal_with_new_custom_values_bumps_its_version(alice, acme, pipeline):
    tier_and_seats(None)
    content = "external_id,title,company,Tier\nD-10,Renewal,Acme,gold\n"
    run_import(alice, "deals", content, mapping=mapped("deals", content))
    version = Opportunity.objects.get(external_id="D-10").version

    run_import(alice, "deals", content.replace("gold", "silver"), mapping=mapped("deals", content))

    deal = Opportunity.objects.get(external_id="D-10")
    assert (deal.custom_fields, deal.version) == ({"tier": "silver"}, version + 1)


def test_cells_are_read_by_the_fields_kind(alice, acme):
    RecordField.objects.create(record=RecordKind.COMPANY, key="since", label="Since", kind="date")
    RecordField.objects.create(
        record=RecordKind.COMPANY,
        key="tags",
        label="Tags",
        kind="choices",
        choices=[{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
    )
    content = 'name,Since,Tags\nGlobex,2026-03-01,"b, a"\nInitech,1 March,a\nHooli,,c\n'

    result = run_import(alice, "companies", content, mapping=mapped("companies", content))

    assert result.reasons == {
        3: ["custom_fields.since: Since: Enter a date as YYYY-MM-DD."],
        4: ["custom_fields.tags: Tags: c is not a choice; choose from: a, b."],
    }
    assert Company.objects.get(name="Globex").custom_fields == {
        "since": "2026-03-01",
        "tags": ["a", "b"],
    }
    assert not Company.objects.filter(name__in=["Initech", "Hooli"]).exists()


def test_the_columns_page_offers_each_custom_field_with_its_column_guessed(client, alice):
    tier_and_seats(None)
    client.force_login(alice)
    content = b"title,company,Tier\nRenewal,Acme,gold\n"
    file = SimpleUploadedFile("deals.csv", content, content_type="text/csv")
    client.post(
        reverse("imports:list"),
        {"kind": "deals", "file": file, "encoding": "utf-8-sig", "delimiter": ""},
    )
    job = ImportJob.objects.get()

    page = client.get(reverse("imports:columns", args=[job.pk])).content

    tier = options(page, name="custom_fields.tier")
    assert [o.attrs["value"] for o in tier if "selected" in o.attrs] == ["Tier"]
    # No Seats column in the file: not imported.
    seats = options(page, name="custom_fields.seats")
    assert [o.attrs["value"] for o in seats if "selected" in o.attrs] in ([], [""])
    assert not elements(page, "select", name="custom_fields.old")


@pytest.mark.parametrize("rows", [10, 1000])
def test_custom_values_cost_no_query_of_their_own(alice, rows):
    """The same file with and without its custom columns mapped makes the same queries
    (the definitions are read once per file either way): the values ride on the rows'
    own insert, at any size."""
    tier_and_seats(RecordKind.COMPANY)
    content = "external_id,name,owner,Tier,Seats,VIP\n" + "".join(
        f"C-{n},Company {n},{alice.username},{'gold' if n % 2 else 'silver'},{n},yes\n"
        for n in range(rows)
    )
    mapping = mapped("companies", content)
    plain = {field: column for field, column in mapping.items() if "." not in field}
    counts = []
    for columns in (plain, mapping):
        with CaptureQueriesContext(connection) as queries:
            result = run_import(alice, "companies", content, mapping=columns, dry_run=True)
        assert (result.outcome.created, result.outcome.rejected) == (rows, 0)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    run_import(alice, "companies", content, mapping=mapping)
    assert Company.objects.filter(custom_fields__tier="gold").count() == rows // 2
