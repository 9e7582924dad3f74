"""Custom fields on the company, contact and lead forms and pages.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie.
"""

import csv
import io

import pytest
from django.urls import reverse

from contacts.models import Company, Contact, Lead, RecordField
from tests.factories import CompanyFactory, ContactFactory, LeadFactory
from tests.html import element, elements


@pytest.fixture
def fields(db):
    for record in ("company", "contact", "lead"):
        RecordField.objects.create(
            record=record, key="employees", label="Employees", kind="number", position=0
        )
        RecordField.objects.create(
            record=record,
            key="tier",
            label="Tier",
            kind="choice",
            position=1,
            choices=[{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
        )


@pytest.mark.parametrize("viewer", ["alice", "bob", "maria"])
def test_company_page_shows_custom_values_to_whoever_sees_it(client, request, fields, viewer):
    alice = request.getfixturevalue("alice")
    company = CompanyFactory(owner=alice, custom_fields={"employees": "1200", "tier": "gold"})
    client.force_login(request.getfixturevalue(viewer))
    page = client.get(reverse("contacts:company_detail", args=[company.pk]))
    labels = [dt.text for dt in elements(page.content, "dt") if "data-custom-field" in dt.attrs]
    assert labels == ["Employees", "Tier"]
    assert "1,200" in page.content.decode()
    assert "Gold" in [dd.text for dd in elements(page.content, "dd")]


def test_other_team_does_not_see_the_company(client, alice, charlie, fields):
    company = CompanyFactory(owner=alice)
    client.force_login(charlie)
    assert client.get(reverse("contacts:company_detail", args=[company.pk])).status_code == 404


def test_company_edit_saves_custom_values(client, alice, fields):
    company = CompanyFactory(owner=alice, name="Acme", custom_fields={"tier": "gold"})
    client.force_login(alice)
    url = reverse("contacts:company_edit", args=[company.pk])
    form = client.get(url)
    assert element(form.content, "select", name="custom_fields.tier")
    selected = element(form.content, "option", value="gold")
    assert "selected" in selected.attrs

    response = client.post(
        url, {"name": "Acme", "custom_fields.employees": "40", "custom_fields.tier": ""}
    )

    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).custom_fields == {"employees": "40"}


def test_bad_custom_value_answers_422_and_writes_nothing(client, alice, fields):
    company = CompanyFactory(owner=alice, name="Acme")
    client.force_login(alice)
    response = client.post(
        reverse("contacts:company_edit", args=[company.pk]),
        {"name": "Renamed", "custom_fields.employees": "many"},
    )
    assert response.status_code == 422
    assert (
        "Employees" in element(response.content, "div", id="id_custom_fields.employees_error").text
    )
    assert Company.objects.get(pk=company.pk).name == "Acme"


def test_contact_create_and_page(client, alice, fields):
    company = CompanyFactory(owner=alice)
    client.force_login(alice)
    response = client.post(
        reverse("contacts:contact_create"),
        {"company": company.pk, "first_name": "Ada", "custom_fields.tier": "silver"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(first_name="Ada")
    assert contact.custom_fields == {"tier": "silver"}
    page = client.get(reverse("contacts:contact_detail", args=[contact.pk]))
    assert "Silver" in [dd.text for dd in elements(page.content, "dd")]


def test_lead_create_edit_and_page(client, alice, fields):
    client.force_login(alice)
    response = client.post(
        reverse("contacts:lead_create"),
        {
            "last_name": "Lovelace",
            "source": "web",
            "owner": alice.pk,
            "custom_fields.employees": "7",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(last_name="Lovelace")
    assert lead.custom_fields == {"employees": "7"}
    edit = client.get(reverse("contacts:lead_edit", args=[lead.pk]))
    assert element(edit.content, "input", name="custom_fields.employees").attrs["value"] == "7"
    page = client.get(reverse("contacts:lead_detail", args=[lead.pk]))
    assert "7" in [dd.text for dd in elements(page.content, "dd")]


def test_teammate_cannot_edit_the_contact(client, alice, bob, fields):
    contact = ContactFactory(owner=alice, company__owner=alice)
    client.force_login(bob)
    response = client.post(
        reverse("contacts:contact_edit", args=[contact.pk]),
        {"first_name": "X", "custom_fields.tier": "gold"},
    )
    assert response.status_code == 403
    assert Contact.objects.get(pk=contact.pk).custom_fields == {}


def test_lead_of_other_team_is_404(client, alice, charlie, fields):
    lead = LeadFactory(owner=alice)
    client.force_login(charlie)
    assert client.get(reverse("contacts:lead_detail", args=[lead.pk])).status_code == 404


def test_list_exports_carry_a_column_per_custom_field(client, alice, bob, fields):
    CompanyFactory(owner=alice, name="Acme", custom_fields={"employees": "12", "tier": "gold"})
    CompanyFactory(owner=bob, name="Beta")
    client.force_login(alice)

    response = client.get(reverse("contacts:company_export"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    assert header[-2:] == ["Employees", "Tier"]
    by_name = {row[0]: row[-2:] for row in rows[1:]}
    assert by_name == {"Acme": ["12", "gold"], "Beta": ["", ""]}


def test_lead_export_writes_values_the_import_reads_back(client, alice, fields):
    RecordField.objects.create(record="lead", key="met", label="Met", kind="boolean", position=2)
    LeadFactory(owner=alice, last_name="Lovelace", custom_fields={"met": True})
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_export"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-3:] == ["Employees", "Tier", "Met"]
    assert rows[1][-1] == "yes"
