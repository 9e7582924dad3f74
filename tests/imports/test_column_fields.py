"""An admin turns a column no field reads into a new custom field from the mapping page, and
the column is mapped to it in the same step; nobody else can."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Company, RecordField, RecordKind
from crm.imports.models import ImportJob
from pipeline.models import DealField
from tests.html import element, elements

ADD_FIELD_QUERIES = 15
DEALS = "Deal;Account;Region code;Probability\nRenewal;Acme;EMEA-N;40\n"
COMPANIES = "Name;Segment\nGlobex;Enterprise\n"


def upload(client, content: str, kind: str) -> ImportJob:
    file = SimpleUploadedFile("file.csv", content.encode(), content_type="text/csv")
    response = client.post(
        reverse("imports:list"),
        {"kind": kind, "file": file, "encoding": "utf-8-sig", "delimiter": ""},
    )
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def unmapped_buttons(response):
    return [
        button.attrs["value"] for button in elements(response.content, "button", name="new_field")
    ]


def test_the_mapping_page_offers_admins_each_unmapped_column(ada_client):
    job = upload(ada_client, DEALS, "deals")

    response = ada_client.get(reverse("imports:columns", args=[job.pk]))

    assert unmapped_buttons(response) == ["Deal", "Account", "Region code", "Probability"]


def test_one_click_adds_a_text_deal_field_and_maps_the_column_keeping_other_choices(
    ada_client, acme, pipeline
):
    job = upload(ada_client, DEALS, "deals")
    url = reverse("imports:columns", args=[job.pk])

    # When the admin has chosen two columns and adds "Region code" as a field
    response = ada_client.post(
        url, {"title": "Deal", "company": "Account", "value": "", "new_field": "Region code"}
    )

    # Then the field exists, the column is mapped to it, and the page shows both choices
    assert response.status_code == 302
    assert response["Location"] == url
    field = DealField.objects.get()
    assert (field.label, field.kind, field.key) == ("Region code", "text", "region_code")
    job.refresh_from_db()
    assert job.mapping == {
        "title": "Deal",
        "company": "Account",
        "custom_fields.region_code": "Region code",
    }
    page = ada_client.get(url)
    select = element(page.content, "select", name="custom_fields.region_code")
    chosen = [o.attrs["value"] for o in elements(page.content, "option") if "selected" in o.attrs]
    assert "Region code" in chosen
    assert select.attrs["id"]
    assert unmapped_buttons(page) == ["Probability"]
    assert page.context["form"]["custom_fields.region_code"].value() == "Region code"


def test_a_company_column_becomes_a_company_field(ada_client):
    job = upload(ada_client, COMPANIES, "companies")

    ada_client.post(
        reverse("imports:columns", args=[job.pk]), {"name": "Name", "new_field": "Segment"}
    )

    field = RecordField.objects.get()
    assert (field.record, field.label) == (RecordKind.COMPANY, "Segment")
    job.refresh_from_db()
    assert job.mapping == {"name": "Name", "custom_fields.segment": "Segment"}


def test_the_imported_values_land_in_the_new_field(
    ada_client, ada, django_capture_on_commit_callbacks, celery_eager
):
    job = upload(ada_client, COMPANIES, "companies")
    url = reverse("imports:columns", args=[job.pk])
    ada_client.post(url, {"name": "Name", "new_field": "Segment"})
    ada_client.post(url, {"name": "Name", "custom_fields.segment": "Segment"})

    with django_capture_on_commit_callbacks(execute=True):
        ada_client.post(reverse("imports:preview", args=[job.pk]))

    assert Company.objects.get().custom_fields == {"segment": "Enterprise"}


def test_a_field_of_the_same_name_is_not_made_twice(ada_client):
    DealField.objects.create(label="Region code", key="region", kind="text")
    job = upload(ada_client, DEALS.replace("Region code", "region CODE"), "deals")
    url = reverse("imports:columns", args=[job.pk])

    response = ada_client.post(url, {"title": "Deal", "new_field": "region CODE"})

    assert response.status_code == 400
    assert element(response.content, "div", id="column-error").text == (
        "There is a field “region CODE” already; choose it for the column instead."
    )
    assert DealField.objects.count() == 1
    # What the admin had chosen stays on the page.
    assert response.context["form"]["title"].value() == "Deal"


def test_a_column_the_file_lacks_is_refused(ada_client):
    job = upload(ada_client, DEALS, "deals")

    response = ada_client.post(reverse("imports:columns", args=[job.pk]), {"new_field": "Nope"})

    assert response.status_code == 400
    assert response.context["column_error"] == "The file has no column “Nope”."
    assert not DealField.objects.exists()


@pytest.mark.parametrize("name", ["alice", "maria"])
def test_only_admins_add_fields_from_an_import(client, request, name):
    client.force_login(request.getfixturevalue(name))
    job = upload(client, DEALS, "deals")
    url = reverse("imports:columns", args=[job.pk])

    assert unmapped_buttons(client.get(url)) == []
    response = client.post(url, {"title": "Deal", "new_field": "Region code"})

    assert response.status_code == 403
    assert not DealField.objects.exists()


def test_nobody_adds_fields_through_another_users_import(client, alice, ada):
    client.force_login(alice)
    job = upload(client, DEALS, "deals")
    client.force_login(ada)

    response = client.post(reverse("imports:columns", args=[job.pk]), {"new_field": "Region code"})

    assert response.status_code == 404
    assert not DealField.objects.exists()


def test_products_have_no_custom_fields_to_add(ada_client):
    job = upload(ada_client, "name;Colour\nLicence;red\n", "products")

    response = ada_client.get(reverse("imports:columns", args=[job.pk]))

    assert unmapped_buttons(response) == []


@pytest.mark.parametrize("columns", [3, 30])
def test_the_admins_mapping_page_costs_the_same_whatever_the_columns(
    ada_client, columns, django_assert_num_queries
):
    header = ";".join(["Deal", "Account", *(f"Extra {n}" for n in range(columns))])
    job = upload(ada_client, header + "\n" + ";".join(["x"] * (columns + 2)) + "\n", "deals")

    # Session and user, the import, the deals' custom fields (a mapping target each), and
    # the users who may receive the records of unknown owners.
    with django_assert_num_queries(5):
        response = ada_client.get(reverse("imports:columns", args=[job.pk]))
    assert len(unmapped_buttons(response)) == columns + 2


@pytest.mark.parametrize("columns", [3, 30])
def test_adding_a_field_costs_the_same_whatever_the_columns(
    ada_client, columns, django_assert_num_queries
):
    header = ";".join(["Deal", "Account", *(f"Extra {n}" for n in range(columns))])
    job = upload(ada_client, header + "\n" + ";".join(["x"] * (columns + 2)) + "\n", "deals")
    url = reverse("imports:columns", args=[job.pk])

    # Session, user, the import, the deals' custom fields (the form's targets); then in a
    # savepoint the import locked, the custom fields (targets and labels), and in the field
    # service's savepoint the fields locked, their keys, the last place, the new field;
    # the mapping saved.
    with django_assert_num_queries(ADD_FIELD_QUERIES):
        response = ada_client.post(url, {"title": "Deal", "new_field": "Extra 1"})
    assert response.status_code == 302
