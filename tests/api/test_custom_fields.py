"""Custom fields in the API: the definitions, the values on records, and the typed schema.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from contacts.models import Company, RecordField
from pipeline.models import DealChange, DealField, Opportunity
from tests.factories import CompanyFactory, OpportunityFactory, StageFactory


@pytest.fixture
def fields(db):
    stage = StageFactory(name="Offer")
    return {
        "budget": DealField.objects.create(
            key="budget", label="Budget", kind="money", currency="EUR", required_from_stage=stage
        ),
        "tier": DealField.objects.create(
            key="tier",
            label="Tier",
            kind="choice",
            position=1,
            choices=[{"key": "gold", "label": "Gold"}],
        ),
        "vip": RecordField.objects.create(record="company", key="vip", label="VIP", kind="boolean"),
        "old": DealField.objects.create(
            key="old", label="Old", kind="text", archived_at="2026-01-01T00:00Z"
        ),
    }


@pytest.mark.parametrize("user", ["alice", "maria", "charlie", "ada"])
def test_everyone_reads_the_definitions(api_as, request, fields, user):
    response = api_as(request.getfixturevalue(user)).get("/api/custom-fields/")
    assert response.status_code == 200
    assert [field["ref"] for field in response.json()] == [
        "deal.budget",
        "deal.tier",
        "company.vip",
    ]
    budget = response.json()[0]
    assert budget["required_from_stage"] == fields["budget"].required_from_stage_id
    assert budget["currency"] == "EUR"


def test_one_definition_and_a_filter(api_as, alice, fields):
    api = api_as(alice)
    assert api.get("/api/custom-fields/deal.tier/").json()["choices"] == [
        {"key": "gold", "label": "Gold"}
    ]
    assert api.get("/api/custom-fields/deal.old/").status_code == 404
    assert [f["ref"] for f in api.get("/api/custom-fields/?record=company").json()] == [
        "company.vip"
    ]


def test_anonymous_is_refused(api_client, fields):
    assert api_client.get("/api/custom-fields/").status_code in (401, 403)


@pytest.mark.parametrize("count", [10, 1000])
def test_definitions_list_costs_the_same_at_any_length(
    api_as, alice, count, django_assert_num_queries
):
    DealField.objects.bulk_create(
        DealField(key=f"f{n}", label=f"F{n}", kind="text", position=n) for n in range(count)
    )
    api = api_as(alice)
    # session, user, deal fields, record fields
    with django_assert_num_queries(4):
        response = api.get("/api/custom-fields/")
    assert len(response.json()) == count


def test_deal_values_are_read_and_written_with_history(api_as, alice, fields):
    deal = OpportunityFactory(owner=alice, custom_fields={"tier": "gold", "old": "kept"})
    api = api_as(alice)
    read = api.get(f"/api/opportunities/{deal.pk}/").json()
    assert read["custom_fields"] == {"budget": None, "tier": "gold"}

    written = api.patch(
        f"/api/opportunities/{deal.pk}/",
        {"title": "Renamed", "custom_fields": {"budget": "1500.00", "tier": None}},
        format="json",
    )

    assert written.status_code == 200
    assert written.json()["custom_fields"] == {"budget": "1500", "tier": None}
    stored = Opportunity.objects.get(pk=deal.pk)
    assert stored.custom_fields == {"budget": "1500", "old": "kept"}
    assert stored.title == "Renamed"
    assert set(DealChange.objects.values_list("field", flat=True)) == {
        "title",
        "custom:budget",
        "custom:tier",
    }


def test_a_bad_value_is_400_by_key_and_nothing_is_written(api_as, alice, fields):
    deal = OpportunityFactory(owner=alice, title="Acme")
    response = api_as(alice).patch(
        f"/api/opportunities/{deal.pk}/",
        {"title": "Renamed", "custom_fields": {"budget": "lots", "nope": 1}},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "custom_fields" in str(body)
    assert "budget" in str(body)
    assert "nope" in str(body)
    assert Opportunity.objects.get(pk=deal.pk).title == "Acme"


def test_teammate_may_not_write_values(api_as, alice, bob, fields):
    deal = OpportunityFactory(owner=alice)
    response = api_as(bob).patch(
        f"/api/opportunities/{deal.pk}/", {"custom_fields": {"tier": "gold"}}, format="json"
    )
    assert response.status_code == 403
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {}


def test_company_values_on_create_and_update(api_as, alice, charlie, fields):
    api = api_as(alice)
    created = api.post(
        "/api/companies/", {"name": "Acme", "custom_fields": {"vip": True}}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["custom_fields"] == {"vip": True}
    pk = created.json()["id"]
    api.patch(f"/api/companies/{pk}/", {"custom_fields": {"vip": False}}, format="json")
    assert Company.objects.get(pk=pk).custom_fields == {"vip": False}
    assert api_as(charlie).get(f"/api/companies/{pk}/").status_code == 404


def test_the_schema_types_each_defined_field(fields):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    deal_fields = components["Opportunity"]["properties"]["custom_fields"]["properties"]
    assert deal_fields["budget"]["format"] == "decimal"
    assert deal_fields["tier"]["enum"] == ["gold"]
    assert "old" not in deal_fields
    company_fields = components["Company"]["properties"]["custom_fields"]["properties"]
    assert company_fields["vip"]["type"] == "boolean"


def test_a_deal_is_not_created_past_the_required_stage_without_the_value(api_as, alice, fields):
    company = CompanyFactory(owner=alice)
    offer = fields["budget"].required_from_stage
    body = {"title": "New", "company": company.pk, "pipeline": offer.pipeline_id, "stage": offer.pk}
    refused = api_as(alice).post("/api/opportunities/", body, format="json")
    assert refused.status_code == 400
    assert "budget" in str(refused.json())
    created = api_as(alice).post(
        "/api/opportunities/", {**body, "custom_fields": {"budget": "10"}}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["custom_fields"]["budget"] == "10"
