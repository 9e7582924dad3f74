"""Custom fields on the deal forms: the new-deal page and board dialog, and the edit page.

Alice (north rep) owns the deals; Ada (admin) defines the fields.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import Company
from core.custom_fields.kinds import Choice, FieldKind
from core.custom_fields.services import FieldSpec
from pipeline.models import DealChange, Opportunity, StageKind
from pipeline.services import custom_fields as custom_field_services
from pipeline.services.custom_fields import define_deal_field
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.html import element, elements, options

HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOG = {**HTMX, "HTTP_HX_TARGET": "board-dialog-content"}
NEW_URL = reverse("pipeline:new_deal")
TIERS = (Choice("gold", "Gold"), Choice("silver", "Silver"))


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=50),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }


@pytest.fixture
def tier(ada, stages):
    # Required from the offer on: a deal created there needs one.
    return define_deal_field(
        by=ada,
        spec=FieldSpec(label="Tier", kind=FieldKind.CHOICE, choices=TIERS),
        required_from_stage=stages["offer"],
    )


@pytest.fixture
def seats(ada):
    return define_deal_field(by=ada, spec=FieldSpec(label="Seats", kind=FieldKind.NUMBER))


@pytest.fixture
def northwind(alice):
    return CompanyFactory(name="Northwind", owner=alice)


@pytest.fixture
def deal(alice, stages, northwind, tier, seats):
    return OpportunityFactory(
        title="Northwind rollout",
        owner=alice,
        company=northwind,
        contact=None,
        stage=stages["qualification"],
        value=Decimal("1000.00"),
        currency="EUR",
        custom_fields={"tier": "silver"},
    )


def as_user(client, user):
    client.force_login(user)
    return client


def new_deal_data(stages, **fields):
    data = {
        "title": "Globex rollout",
        "company": "",
        "company_name": "Northwind",
        "company_domain": "",
        "contact": "",
        "contact_name": "",
        "contact_email": "",
        "value": "500.00",
        "currency": "EUR",
        "expected_close_date": "",
        "stage": str(stages["qualification"].pk),
        "forecast_category": "pipeline",
        "custom_fields.tier": "",
        "custom_fields.seats": "",
    }
    data.update(fields)
    return data


def edit_url(deal):
    return reverse("pipeline:edit_deal", args=[deal.pk])


def edit_data(deal, **fields):
    data = {
        "version": deal.version,
        "title": deal.title,
        "company": deal.company_id,
        "company_name": deal.company.name,
        "contact": "",
        "contact_name": "",
        "value": str(deal.value),
        "currency": deal.currency,
        "expected_close_date": "",
        "forecast_category": deal.forecast_category,
        "custom_fields.tier": "silver",
        "custom_fields.seats": "",
    }
    data.update(fields)
    return data


def state(deal):
    deal.refresh_from_db()
    return (deal.title, deal.version, deal.custom_fields, DealChange.objects.count())


# --- the new-deal form -----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["page", "dialog"])
def test_the_new_deal_form_offers_the_custom_fields(client, alice, stages, tier, seats, headers):
    response = as_user(client, alice).get(NEW_URL, **headers)

    assert response.status_code == 200
    tiers = options(response.content, name="custom_fields.tier")
    assert [option.attrs["value"] for option in tiers][-2:] == ["gold", "silver"]
    assert element(response.content, "input", name="custom_fields.seats")


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["page", "dialog"])
def test_a_new_deal_keeps_its_custom_values(client, alice, stages, northwind, tier, seats, headers):
    data = new_deal_data(stages, **{"custom_fields.tier": "gold", "custom_fields.seats": "12"})
    if headers:
        data["in_dialog"] = "1"
    response = as_user(client, alice).post(NEW_URL, data, **headers)

    assert response.status_code in (200, 303)
    deal = Opportunity.objects.get()
    assert deal.custom_fields["tier"] == "gold"
    assert Decimal(str(deal.custom_fields["seats"])) == 12


@pytest.mark.parametrize("headers", [{}, DIALOG], ids=["page", "dialog"])
def test_a_new_deal_missing_a_required_value_is_refused_beside_it(
    client, alice, stages, northwind, tier, seats, headers
):
    data = new_deal_data(stages, stage=str(stages["offer"].pk), company_name="Globex")
    if headers:
        data["in_dialog"] = "1"
    response = as_user(client, alice).post(NEW_URL, data, **headers)

    assert response.status_code == 422
    assert element(response.content, "div", id="id_custom_fields.tier_error").text
    assert not elements(response.content, "div", id="id_custom_fields.seats_error")
    # Nothing half written: not the deal, nor the new company it named.
    assert not Opportunity.objects.exists()
    assert not Company.objects.filter(name="Globex").exists()


def test_a_new_deal_with_a_value_its_field_refuses_writes_nothing(
    client, alice, stages, northwind, tier, seats
):
    data = new_deal_data(stages, **{"custom_fields.tier": "platinum"})
    response = as_user(client, alice).post(NEW_URL, data)

    assert response.status_code == 422
    assert element(response.content, "div", id="id_custom_fields.tier_error").text
    assert not Opportunity.objects.exists()


# --- the edit page ---------------------------------------------------------------------------


def test_the_edit_page_shows_the_stored_values(client, alice, deal):
    response = as_user(client, alice).get(edit_url(deal))

    tiers = options(response.content, name="custom_fields.tier")
    assert [option.attrs["value"] for option in tiers if "selected" in option.attrs] == ["silver"]
    assert "value" not in element(response.content, "input", name="custom_fields.seats").attrs


def test_the_edit_page_saves_details_and_custom_values_together(client, alice, deal):
    data = edit_data(deal, title="Northwind, renewed", **{"custom_fields.tier": "gold"})
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.custom_fields["tier"]) == ("Northwind, renewed", "gold")
    changes = set(DealChange.objects.filter(opportunity=deal).values_list("field", flat=True))
    # The unchanged seats are neither written nor recorded.
    assert changes == {"title", "custom:tier"}


@pytest.mark.parametrize(
    ("username", "status", "kept"),
    [
        ("alice", 302, "gold"),
        ("maria", 302, "gold"),
        ("bob", 403, "silver"),
        ("charlie", 404, "silver"),
    ],
)
def test_who_may_save_custom_values_on_the_edit_page(request, client, deal, username, status, kept):
    user = request.getfixturevalue(username)
    data = edit_data(deal, **{"custom_fields.tier": "gold"})
    if username == "maria":
        data["owner"] = deal.owner_id  # a manager's form has the owner too
    response = as_user(client, user).post(edit_url(deal), data)

    # The owner and her manager save; a teammate may not, another team does not see it.
    assert response.status_code == status
    deal.refresh_from_db()
    assert deal.custom_fields["tier"] == kept


def test_the_edit_page_refuses_a_bad_value_beside_it_and_writes_nothing(client, alice, deal):
    before = state(deal)
    data = edit_data(deal, title="Renamed", **{"custom_fields.seats": "many"})
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    assert element(response.content, "div", id=f"edit-{deal.pk}-custom_fields.seats_error").text
    assert state(deal) == before


def test_a_custom_value_the_service_refuses_undoes_the_details(client, alice, deal, monkeypatch):
    def refuse(values):
        raise ValidationError({"custom_fields.tier": "Not this tier."})

    monkeypatch.setattr(custom_field_services, "clean_deal_values", refuse)
    before = state(deal)
    data = edit_data(deal, title="Renamed", **{"custom_fields.tier": "gold"})
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-custom_fields.tier_error")
    assert "Not this tier." in error.text
    # The title was saved first, in the same transaction: it is undone with the rest.
    assert state(deal) == before


def test_the_edit_page_with_a_stale_version_writes_no_custom_value(client, alice, maria, deal):
    data = edit_data(deal, **{"custom_fields.tier": "gold"})
    Opportunity.objects.filter(pk=deal.pk).update(version=deal.version + 1, updated_by=maria)

    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.custom_fields["tier"] == "silver"


# Session, user, the deal with its company and contact, the pipeline's checklists, the
# active custom fields: the same with two fields and 10 or 1,000 companies.
EDIT_PAGE_QUERIES = 5
# Session, user, stages, the custom fields, the products the rows offer, the owner choices.
NEW_DEAL_PAGE_QUERIES = 6


@pytest.mark.parametrize("count", [10, 1000])
def test_the_forms_with_custom_fields_cost_the_same(
    client, alice, deal, count, django_assert_num_queries
):
    Company.objects.bulk_create(Company(name=f"Company {n:05d}", owner=alice) for n in range(count))
    as_user(client, alice)

    with django_assert_num_queries(EDIT_PAGE_QUERIES):
        assert client.get(edit_url(deal)).status_code == 200
    for headers in ({}, DIALOG):
        with django_assert_num_queries(NEW_DEAL_PAGE_QUERIES):
            assert client.get(NEW_URL, **headers).status_code == 200
