"""The deal panel's custom fields: shown to whoever sees the deal, edited by who may change it.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import csv
import io

import pytest
from django.urls import reverse

from pipeline.models import DealChange, DealField, Opportunity
from tests.factories import OpportunityFactory
from tests.html import element, elements

HTMX = {"HTTP_HX_REQUEST": "true"}
# The deals list's queries (tests/pipeline/test_deal_list.py), which read the custom
# fields' definitions once for filters, columns and controls alike.
LIST_QUERIES = 8


@pytest.fixture
def fields(db):
    return [
        DealField.objects.create(key="budget", label="Budget", kind="money", currency="EUR"),
        DealField.objects.create(
            key="tier",
            label="Tier",
            kind="choice",
            position=1,
            choices=[{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
        ),
    ]


@pytest.fixture
def deal(alice, fields):
    return OpportunityFactory(owner=alice, title="Acme", custom_fields={"tier": "gold"})


def page(client, user, deal, **headers):
    client.force_login(user)
    return client.get(reverse("pipeline:deal_detail", args=[deal.pk]), **headers)


def post(client, user, deal, data, **headers):
    client.force_login(user)
    url = reverse("pipeline:set_deal_custom_fields", args=[deal.pk])
    return client.post(url, data, **headers)


@pytest.mark.parametrize(("user", "may_edit"), [("alice", True), ("maria", True), ("bob", False)])
def test_panel_shows_values_and_the_form_to_who_may_change(client, request, deal, user, may_edit):
    response = page(client, request.getfixturevalue(user), deal, **HTMX)

    assert response.status_code == 200
    section = element(response.content, "section", id=f"deal-{deal.pk}-custom-fields")
    assert "Budget —" in section.text
    assert "Tier Gold" in section.text
    forms = elements(response.content, "form", id=f"deal-{deal.pk}-custom-fields-form")
    assert len(forms) == int(may_edit)


def test_other_team_cannot_see_it(client, charlie, deal):
    assert page(client, charlie, deal).status_code == 404


def test_no_section_without_fields(client, alice):
    deal = OpportunityFactory(owner=alice)
    response = page(client, alice, deal)
    assert elements(response.content, "section", id=f"deal-{deal.pk}-custom-fields") == []


def test_owner_saves_values_with_history(client, alice, deal):
    response = post(
        client,
        alice,
        deal,
        {"version": deal.version, "custom_fields.budget": "1200.50", "custom_fields.tier": ""},
        **HTMX,
    )

    assert response.status_code == 200
    assert "dealChanged" in response["HX-Trigger"]
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "1200.5"}
    section = element(response.content, "section", id=f"deal-{deal.pk}-custom-fields")
    assert "1,200.50 EUR" in section.text
    assert set(DealChange.objects.values_list("field", flat=True)) == {
        "custom:budget",
        "custom:tier",
    }


def test_without_htmx_a_save_redirects_to_the_deal(client, maria, deal):
    response = post(client, maria, deal, {"version": deal.version, "custom_fields.tier": "silver"})
    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:deal_detail", args=[deal.pk])
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"tier": "silver"}


def test_bad_input_answers_422_naming_the_field_and_writes_nothing(client, alice, deal):
    before = Opportunity.objects.values().get(pk=deal.pk)
    response = post(
        client,
        alice,
        deal,
        {"version": deal.version, "custom_fields.budget": "lots", "custom_fields.tier": "silver"},
        **HTMX,
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-custom-fields"
    error = element(response.content, "div", id=f"deal-{deal.pk}-custom-custom_fields.budget_error")
    assert "Enter a number." in error.text
    assert Opportunity.objects.values().get(pk=deal.pk) == before


def test_a_stale_version_answers_409_naming_who_changed_it_first(client, alice, maria, deal):
    post(client, maria, deal, {"version": deal.version, "custom_fields.tier": "silver"})

    response = post(
        client, alice, deal, {"version": deal.version, "custom_fields.budget": "5"}, **HTMX
    )

    assert response.status_code == 409
    conflict = element(response.content, "div", id=f"deal-{deal.pk}-custom-fields-conflict")
    assert "maria" in conflict.text.lower() or maria.get_full_name() in conflict.text
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"tier": "silver"}
    # The form comes back at the deal's current version, with its current values.
    version = element(response.content, "input", name="version")
    assert version.attrs["value"] == str(deal.version + 1)


def test_teammate_gets_403_and_other_team_404(client, bob, charlie, deal):
    data = {"version": deal.version, "custom_fields.budget": "5"}
    assert post(client, bob, deal, data, **HTMX).status_code == 403
    assert post(client, charlie, deal, data, **HTMX).status_code == 404
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"tier": "gold"}


@pytest.mark.parametrize("count", [10, 1000])
def test_save_queries_do_not_grow_with_the_fields(client, alice, count, django_assert_num_queries):
    DealField.objects.bulk_create(
        DealField(key=f"f{n}", label=f"F{n}", kind="number", position=n) for n in range(count)
    )
    deal = OpportunityFactory(owner=alice)
    client.force_login(alice)
    url = reverse("pipeline:set_deal_custom_fields", args=[deal.pk])
    # session, user, deal, fields (form), savepoint, lock, fields (service), UPDATE, history,
    # release, deal again, fields (section)
    with django_assert_num_queries(12):
        response = client.post(url, {"version": deal.version, "custom_fields.f1": "7"}, **HTMX)
    assert response.status_code == 200
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"f1": "7"}


def test_deal_export_has_a_column_per_custom_field(client, alice, charlie, deal):
    OpportunityFactory(owner=charlie, title="South", custom_fields={"tier": "silver"})
    client.force_login(alice)

    response = client.get(reverse("pipeline:deal_export"))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-2:] == ["Budget", "Tier"]
    assert [row[-2:] for row in rows[1:]] == [["", "gold"]]


def exported_titles(client, query):
    response = client.get(reverse("pipeline:deal_export"), query)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return sorted(row[0] for row in rows[1:])


def test_deal_list_filters_by_custom_field(client, alice, charlie, fields):
    OpportunityFactory(
        owner=alice, title="Gold big", custom_fields={"tier": "gold", "budget": "500"}
    )
    OpportunityFactory(
        owner=alice, title="Gold small", custom_fields={"tier": "gold", "budget": "5"}
    )
    OpportunityFactory(owner=alice, title="Silver", custom_fields={"tier": "silver"})
    OpportunityFactory(owner=charlie, title="South gold", custom_fields={"tier": "gold"})
    client.force_login(alice)

    assert exported_titles(client, {"cf.tier": "gold"}) == ["Gold big", "Gold small"]
    assert exported_titles(client, {"cf.tier": "gold", "cf.budget.gte": "100"}) == ["Gold big"]
    assert exported_titles(client, {"cf.budget.set": ""}) == ["Gold big", "Gold small"]
    # A value the field cannot take filters nothing out.
    assert len(exported_titles(client, {"cf.budget.gte": "lots"})) == 3


@pytest.mark.parametrize("rows", [10, 1000])
def test_filtered_deal_list_costs_the_same_at_any_size(
    client, alice, fields, rows, django_assert_num_queries
):
    deal = OpportunityFactory(owner=alice, custom_fields={"tier": "gold"})
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {n}",
            owner=alice,
            company=deal.company,
            pipeline=deal.pipeline,
            stage=deal.stage,
            position=n,
            custom_fields={"tier": "gold" if n % 2 else "silver"},
        )
        for n in range(rows)
    )
    client.force_login(alice)
    url = reverse("pipeline:deal_list")
    client.get(url, {"cf.tier": "gold"})
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url, {"cf.tier": "gold"})
    assert response.status_code == 200
