"""/api/custom-fields/ writes: admins define, change and archive fields; others may not."""

import pytest

from contacts.models import Company, RecordField
from pipeline.models import DealField, Opportunity
from tests.factories import CompanyFactory, OpportunityFactory, StageFactory

URL = "/api/custom-fields/"


@pytest.fixture
def tier(db):
    return DealField.objects.create(
        key="tier",
        label="Tier",
        kind="choice",
        choices=[{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
    )


def test_an_admin_adds_a_deal_field_with_a_key_from_its_label(api_as, ada, sales):
    response = api_as(ada).post(
        URL,
        {
            "record": "deal",
            "label": "Support tier",
            "kind": "choice",
            "choices": [{"label": "Gold"}, {"label": "Silver"}],
            "required_from_stage": sales.proposal.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["ref"] == "deal.support_tier"
    field = DealField.objects.get()
    assert (field.key, field.kind, field.required_from_stage) == (
        "support_tier",
        "choice",
        sales.proposal,
    )
    assert [choice.key for choice in field.choice_list] == ["gold", "silver"]


def test_an_admin_adds_a_company_field(api_as, ada):
    response = api_as(ada).post(
        URL, {"record": "company", "label": "Employees", "kind": "number"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["ref"] == "company.employees"
    assert RecordField.objects.filter(record="company", key="employees").exists()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"record": "deal", "label": "Tier", "kind": "choice"}, "choices"),
        ({"record": "deal", "label": "Budget", "kind": "money", "currency": "euro"}, "currency"),
        ({"record": "deal", "label": " ", "kind": "text"}, "label"),
        ({"record": "deal", "label": "X", "kind": "colour"}, "kind"),
        ({"record": "invoice", "label": "X", "kind": "text"}, "record"),
        ({"record": "company", "label": "X", "kind": "text", "required_from_stage": 0}, "x"),
    ],
)
def test_a_bad_definition_is_named_and_nothing_written(api_as, ada, sales, body, named):
    if named == "x":
        body["required_from_stage"], named = sales.proposal.pk, "required_from_stage"

    response = api_as(ada).post(URL, body, format="json")

    assert response.status_code == 400
    assert named in response.json()
    assert not DealField.objects.exists()
    assert not RecordField.objects.exists()


@pytest.mark.parametrize("username", ["alice", "bob", "maria", "charlie", "sam"])
def test_only_admins_write(request, api_as, tier, username):
    client = api_as(request.getfixturevalue(username))

    responses = [
        client.post(URL, {"record": "deal", "label": "New", "kind": "text"}, format="json"),
        client.patch(f"{URL}deal.tier/", {"label": "Mine"}, format="json"),
        client.post(f"{URL}deal.tier/archive/", {"archived": True}, format="json"),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    tier.refresh_from_db()
    assert (tier.label, tier.archived_at) == ("Tier", None)
    assert DealField.objects.count() == 1


def test_an_admin_relabels_a_field_and_keeps_a_choice_by_its_key(api_as, ada, tier):
    response = api_as(ada).patch(
        f"{URL}deal.tier/",
        {
            "label": "Support tier",
            "choices": [{"key": "gold", "label": "Gold+"}, {"label": "Gold"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    tier.refresh_from_db()
    assert (tier.key, tier.label, tier.kind) == ("tier", "Support tier", "choice")
    assert [(c.key, c.label) for c in tier.choice_list] == [("gold", "Gold+"), ("gold_2", "Gold")]


def test_a_kind_change_stored_values_would_not_fit_is_refused_naming_kind(api_as, ada, tier):
    deal = OpportunityFactory(custom_fields={"tier": "gold"})

    response = api_as(ada).patch(f"{URL}deal.tier/", {"kind": "number"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"kind"}
    tier.refresh_from_db()
    assert tier.kind == "choice"
    deal.refresh_from_db()
    assert deal.custom_fields == {"tier": "gold"}


def test_a_kind_change_the_values_fit_is_made(api_as, ada):
    field = RecordField.objects.create(record="company", key="size", label="Size", kind="number")
    CompanyFactory(custom_fields={"size": "40"})

    response = api_as(ada).patch(f"{URL}company.size/", {"kind": "text"}, format="json")

    assert response.status_code == 200, response.json()
    field.refresh_from_db()
    assert field.kind == "text"
    assert Company.objects.get().custom_fields == {"size": "40"}


def test_removing_a_choice_in_use_is_refused_naming_choices(api_as, ada, tier):
    OpportunityFactory(custom_fields={"tier": "silver"})

    response = api_as(ada).patch(
        f"{URL}deal.tier/", {"choices": [{"key": "gold", "label": "Gold"}]}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"choices"}
    tier.refresh_from_db()
    assert len(tier.choice_list) == 2


def test_an_admin_archives_and_restores_a_field_and_its_values_stay(api_as, ada, tier):
    deal = OpportunityFactory(custom_fields={"tier": "gold"})
    client = api_as(ada)

    archived = client.post(f"{URL}deal.tier/archive/", {"archived": True}, format="json")
    listed = client.get(URL)
    restored = client.post(f"{URL}deal.tier/archive/", {"archived": False}, format="json")

    assert (archived.status_code, restored.status_code) == (200, 200)
    assert "deal.tier" not in [field["ref"] for field in listed.json()]
    assert "deal.tier" in [field["ref"] for field in client.get(URL).json()]
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"tier": "gold"}


def test_an_unknown_field_answers_404(api_as, ada):
    client = api_as(ada)

    assert client.patch(f"{URL}deal.nope/", {"label": "X"}, format="json").status_code == 404
    assert (
        client.post(f"{URL}lead.nope/archive/", {"archived": True}, format="json").status_code
        == 404
    )


def test_a_stage_of_another_kind_of_record_is_refused_on_change(api_as, ada):
    RecordField.objects.create(record="lead", key="source", label="Source", kind="text")

    response = api_as(ada).patch(
        f"{URL}lead.source/", {"required_from_stage": StageFactory().pk}, format="json"
    )

    assert response.status_code == 400
    assert "required_from_stage" in response.json()
