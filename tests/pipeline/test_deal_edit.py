"""Editing a deal: in place in the panel, on the edit page, and reopening a closed deal.

Every endpoint as the owner (Alice), a teammate (Bob), their manager (Maria), someone from
another team (Charlie) and an admin (Ada).
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from contacts.models import Company, Contact
from pipeline.models import DealChange, ForecastCategory, Opportunity, StageChange, StageKind
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)
from tests.html import element, elements, options

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def stages(db):
    pipeline = PipelineFactory(name="New business")
    return {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }


@pytest.fixture
def deal(alice, stages):
    contact = ContactFactory(
        first_name="Grace", last_name="Hopper", company__name="Acme Corp", company__owner=alice
    )
    return OpportunityFactory(
        title="Acme rollout",
        owner=alice,
        company=contact.company,
        contact=contact,
        stage=stages["offer"],
        value=Decimal("10000.00"),
        currency="EUR",
        forecast_category=ForecastCategory.PIPELINE,
    )


def part_url(deal, part):
    return reverse("pipeline:edit_deal_part", args=[deal.pk, part])


def edit_url(deal):
    return reverse("pipeline:edit_deal", args=[deal.pk])


def reopen_url(deal):
    return reverse("pipeline:reopen_deal", args=[deal.pk])


def as_user(client, user):
    client.force_login(user)
    return client


def snapshot(deal):
    deal.refresh_from_db()
    return (
        deal.title,
        deal.value,
        deal.currency,
        deal.owner_id,
        deal.version,
        deal.stage_id,
        deal.company_id,
    )


# --- in place, in the panel -------------------------------------------------------------------


def test_panel_offers_the_owner_editable_values(client, alice, deal):
    response = as_user(client, alice).get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    editable = {
        link.attrs["data-editable"]
        for link in elements(response.content, "a")
        if "data-editable" in link.attrs
    }
    assert editable == {"title", "value", "expected_close_date", "forecast_category", "contact"}
    value = element(response.content, "a", **{"data-editable": "value"})
    assert value.attrs["hx-get"] == f"{part_url(deal, 'value')}?version={deal.version}"
    assert value.attrs["href"].startswith(edit_url(deal))


def test_panel_offers_a_manager_to_reassign(client, maria, deal):
    response = as_user(client, maria).get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    assert element(response.content, "a", **{"data-editable": "owner"})


def test_panel_offers_a_teammate_nothing_to_edit(client, bob, deal):
    response = as_user(client, bob).get(reverse("pipeline:deal_detail", args=[deal.pk]), **HTMX)

    assert response.status_code == 200
    assert [link for link in elements(response.content, "a") if "data-editable" in link.attrs] == []


def test_value_input_carries_the_version_the_panel_showed(client, alice, deal):
    response = as_user(client, alice).get(f"{part_url(deal, 'value')}?version=3", **HTMX)

    assert response.status_code == 200
    form = element(response.content, "form", **{"data-inline-edit": ""})
    assert form.attrs["hx-post"] == part_url(deal, "value")
    assert element(response.content, "input", name="version").attrs["value"] == "3"
    assert element(response.content, "input", name="value").attrs["value"] == "10000.00"
    assert element(response.content, "input", name="currency").attrs["value"] == "EUR"
    assert element(response.content, "a", **{"data-inline-cancel": ""})


def test_owner_saves_a_value_in_place(client, alice, deal):
    data = {"version": deal.version, "value": "12000.00", "currency": "eur"}
    response = as_user(client, alice).post(part_url(deal, "value"), data, **HTMX)

    assert response.status_code == 200
    assert element(response.content, "span", class_="deal-value").text == "12,000 EUR"
    assert json.loads(response.headers["HX-Trigger"])["dealChanged"] == {
        "id": deal.pk,
        "stage": deal.stage_id,
        "columns": True,
    }
    deal.refresh_from_db()
    assert deal.value == Decimal("12000.00")
    change = DealChange.objects.get(opportunity=deal)
    assert (change.field, change.old_value, change.new_value) == ("value", "10000.00", "12000.00")


def test_title_saved_in_place_comes_back_out_of_band(client, alice, deal):
    data = {"version": deal.version, "title": "Acme rollout, phase 2"}
    response = as_user(client, alice).post(part_url(deal, "title"), data, **HTMX)

    title = element(response.content, "span", id=f"deal-{deal.pk}-part-title")
    assert title.attrs["hx-swap-oob"] == "true"
    assert title.text.startswith("Acme rollout, phase 2")


def test_manager_reassigns_in_place(client, maria, bob, deal):
    data = {"version": deal.version, "owner": bob.pk}
    response = as_user(client, maria).post(part_url(deal, "owner"), data, **HTMX)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.owner == bob


def test_rep_cannot_reassign(client, alice, bob, deal):
    before = snapshot(deal)
    data = {"version": deal.version, "owner": bob.pk}
    response = as_user(client, alice).post(part_url(deal, "owner"), data, **HTMX)

    assert response.status_code == 403
    assert snapshot(deal) == before


def test_teammate_cannot_edit_in_place(client, bob, deal):
    before = snapshot(deal)
    data = {"version": deal.version, "value": "1.00", "currency": "EUR"}
    response = as_user(client, bob).post(part_url(deal, "value"), data, **HTMX)

    assert response.status_code == 403
    assert snapshot(deal) == before


def test_other_team_gets_404(client, charlie, deal):
    before = snapshot(deal)
    data = {"version": deal.version, "value": "1.00", "currency": "EUR"}
    client = as_user(client, charlie)

    assert client.get(part_url(deal, "value"), **HTMX).status_code == 404
    assert client.post(part_url(deal, "value"), data, **HTMX).status_code == 404
    assert snapshot(deal) == before


def test_unknown_part_is_404(client, alice, deal):
    assert as_user(client, alice).get(part_url(deal, "stage"), **HTMX).status_code == 404


def test_bad_value_names_the_field_and_writes_nothing(client, alice, deal):
    before = snapshot(deal)
    data = {"version": deal.version, "value": "-5", "currency": "EUR"}
    response = as_user(client, alice).post(part_url(deal, "value"), data, **HTMX)

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#deal-{deal.pk}-part-value"
    error = element(response.content, "div", id=f"edit-{deal.pk}-value_error")
    assert error.text.startswith("Value:")
    assert snapshot(deal) == before
    assert not DealChange.objects.exists()


def test_bad_currency_is_refused_by_the_service_naming_the_field(client, alice, deal):
    before = snapshot(deal)
    data = {"version": deal.version, "value": "5", "currency": "XYZ"}
    response = as_user(client, alice).post(part_url(deal, "value"), data, **HTMX)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-currency_error")
    assert error.text.startswith("Currency:")
    assert snapshot(deal) == before


def test_stale_version_answers_409_naming_who_changed_it_first(client, alice, maria, deal):
    # Given Maria changed the value after Alice's panel was drawn
    seen = deal.version
    as_user(client, maria).post(
        part_url(deal, "value"), {"version": seen, "value": "11000", "currency": "EUR"}, **HTMX
    )
    # When Alice saves her value at the version her panel showed
    data = {"version": seen, "value": "12000.00", "currency": "EUR"}
    response = as_user(client, alice).post(part_url(deal, "value"), data, **HTMX)

    # Then she is told who was first, and sees the value as it now is
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == f"#deal-{deal.pk}-summary"
    assert element(response.content, "div", role="alert").text.startswith(str(maria))
    assert element(response.content, "span", class_="deal-value").text == "11,000 EUR"
    deal.refresh_from_db()
    assert deal.value == Decimal("11000")


def test_cancel_restores_the_values_as_they_stand(client, alice, deal):
    response = as_user(client, alice).get(
        reverse("pipeline:deal_detail", args=[deal.pk]),
        HTTP_HX_TARGET=f"deal-{deal.pk}-summary",
        **HTMX,
    )

    assert response.status_code == 200
    assert element(response.content, "div", id=f"deal-{deal.pk}-summary")
    assert element(response.content, "span", class_="deal-value").text == "10,000 EUR"


def test_in_place_address_without_htmx_leads_to_the_edit_page(client, alice, deal):
    response = as_user(client, alice).get(part_url(deal, "value"))

    assert response.status_code == 302
    assert response.url == edit_url(deal)


# --- the board's card and column header follow ---------------------------------------------


def test_card_with_columns_brings_its_column_header(client, alice, deal, stages):
    OpportunityFactory(owner=alice, stage=stages["offer"], value=Decimal("500"), currency="EUR")
    Opportunity.objects.filter(pk=deal.pk).update(value=Decimal("12000"))
    url = reverse("pipeline:card", args=[deal.pk]) + "?columns=1"

    response = as_user(client, alice).get(url, **HTMX)

    header = element(response.content, "header", id=f"column-{stages['offer'].pk}-header")
    assert header.attrs["hx-swap-oob"] == "true"
    assert element(response.content, "span", class_="board-column-count").text.startswith("2")
    total = element(response.content, "div", class_="board-column-total")
    assert total.text.startswith("Total value: 12,500 EUR")


def test_card_without_columns_brings_no_header(client, alice, deal, stages):
    response = as_user(client, alice).get(reverse("pipeline:card", args=[deal.pk]), **HTMX)

    assert elements(response.content, "header") == []


def test_teammates_board_poll_sees_the_edit(client, alice, bob, deal):
    from pipeline.board_changes import current_version

    since = current_version()
    as_user(client, alice).post(
        part_url(deal, "value"),
        {"version": deal.version, "value": "12000", "currency": "EUR"},
        **HTMX,
    )
    url = reverse("pipeline:board_changes", args=[deal.pipeline_id])

    response = as_user(client, bob).get(url, {"since": str(since)}, **HTMX)

    assert response.status_code == 200
    assert element(response.content, "template", class_="board-change")
    header = element(response.content, "header", id=f"column-{deal.stage_id}-header")
    assert "12,000 EUR" in header.text


# --- the edit page ----------------------------------------------------------------------------


def form_data(deal, **changes):
    data = {
        "version": deal.version,
        "title": deal.title,
        "company": deal.company_id,
        "contact": deal.contact_id or "",
        "owner": deal.owner_id,
        "value": str(deal.value),
        "currency": deal.currency,
        "expected_close_date": "",
        "forecast_category": deal.forecast_category,
    }
    data.update(changes)
    return data


def test_edit_page_shows_every_field(client, alice, deal):
    response = as_user(client, alice).get(edit_url(deal))

    assert response.status_code == 200
    names = {
        field.attrs.get("name")
        for field in elements(response.content)
        if field.tag in ("input", "select")
    }
    assert {
        "version",
        "title",
        "company",
        "contact",
        "value",
        "currency",
        "expected_close_date",
        "forecast_category",
    } <= names
    assert "owner" not in names
    form = element(response.content, "form", **{"data-deal-edit": ""})
    assert form.attrs["action"] == edit_url(deal)


def test_edit_page_offers_a_manager_the_owner(client, maria, deal):
    response = as_user(client, maria).get(edit_url(deal))

    assert element(response.content, "select", name="owner")


def test_edit_page_saves_and_goes_back_to_the_deal(client, alice, deal):
    data = form_data(deal, title="Acme, renewed", value="15000", expected_close_date="2030-03-01")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 302
    assert response.url == reverse("pipeline:deal_detail", args=[deal.pk])
    deal.refresh_from_db()
    assert (deal.title, deal.value) == ("Acme, renewed", Decimal("15000"))
    assert deal.expected_close_date == dt.date(2030, 3, 1)
    fields = set(DealChange.objects.filter(opportunity=deal).values_list("field", flat=True))
    assert fields == {"title", "value", "expected_close_date"}


def test_edit_page_names_each_bad_field(client, alice, deal):
    before = snapshot(deal)
    data = form_data(deal, title="", value="lots", expected_close_date="soon")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    for name in ("title", "value", "expected_close_date"):
        assert element(response.content, "div", id=f"edit-{deal.pk}-{name}_error")
    assert snapshot(deal) == before


def test_edit_page_refuses_a_contact_of_another_company(client, alice, deal):
    before = snapshot(deal)
    stranger = ContactFactory(company__owner=alice)
    response = as_user(client, alice).post(edit_url(deal), form_data(deal, contact=stranger.pk))

    assert response.status_code == 422
    assert element(response.content, "div", id=f"edit-{deal.pk}-contact_name_error")
    assert snapshot(deal) == before


def test_edit_page_company_is_a_picker_showing_its_name(client, alice, deal):
    response = as_user(client, alice).get(edit_url(deal))

    assert not elements(response.content, "select", name="company")
    hidden = element(response.content, "input", name="company")
    assert (hidden.attrs["type"], hidden.attrs["value"]) == ("hidden", str(deal.company_id))
    box = element(response.content, "input", name="company_name")
    assert box.attrs["value"] == "Acme Corp"
    assert box.attrs["hx-get"].startswith(reverse("contacts:company_search"))


def test_edit_page_resolves_a_typed_company_name_without_javascript(client, alice, deal):
    other = CompanyFactory(name="Globex", owner=alice)
    data = form_data(deal, company="", company_name="  globex ", contact="")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.company_id == other.pk


def test_edit_page_typed_name_wins_over_a_stale_id(client, alice, deal):
    other = CompanyFactory(name="Globex", owner=alice)
    data = form_data(deal, company_name="Globex", contact="")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.company_id == other.pk


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Nobody Ltd", "No company you can see is called “Nobody Ltd”."),
        ("Twins", "Several companies are called “Twins”: pick one from the list."),
        ("Southern", "No company you can see is called “Southern”."),
    ],
)
def test_edit_page_refuses_an_unclear_company_and_writes_nothing(
    client, alice, charlie, deal, name, message
):
    CompanyFactory.create_batch(2, name="Twins", owner=alice)
    CompanyFactory(name="Southern", owner=charlie)  # another team's: not to be found
    before = snapshot(deal)
    data = form_data(deal, company="", company_name=name, title="Renamed")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-company_name_error")
    assert error.text == message
    assert snapshot(deal) == before


def test_edit_page_contact_is_a_picker_searching_the_chosen_company(client, alice, deal):
    response = as_user(client, alice).get(edit_url(deal))

    assert not elements(response.content, "select", name="contact")
    hidden = element(response.content, "input", name="contact")
    assert (hidden.attrs["type"], hidden.attrs["value"]) == ("hidden", str(deal.contact_id))
    box = element(response.content, "input", name="contact_name")
    assert box.attrs["value"] == "Grace Hopper"
    assert box.attrs["hx-get"].startswith(reverse("contacts:contact_search"))
    # The search sends the company picker's id: the contacts of the company chosen there.
    assert box.attrs["hx-include"] == f"#edit-{deal.pk}-company"
    assert element(response.content, "input", id=f"edit-{deal.pk}-company").attrs["name"] == (
        "company"
    )


def test_edit_page_resolves_a_typed_contact_at_the_typed_company(client, alice, deal):
    globex = CompanyFactory(name="Globex", owner=alice)
    ContactFactory(first_name="Gina", last_name="Gold", company=deal.company)  # not at Globex
    gina = ContactFactory(first_name="Gina", last_name="Gold", company=globex)
    data = form_data(deal, company="", company_name="Globex", contact="", contact_name="gina gold")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.company_id, deal.contact_id) == (globex.pk, gina.pk)


def test_edit_page_refuses_a_typed_contact_not_at_the_company(client, alice, deal):
    before = snapshot(deal)
    ContactFactory(first_name="Gina", last_name="Gold", company__owner=alice)
    data = form_data(deal, contact="", contact_name="Gina Gold", title="Renamed")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-contact_name_error")
    assert error.text == "No contact you can see is called “Gina Gold”."
    assert snapshot(deal) == before


def test_edit_page_refuses_another_teams_company_by_id(client, alice, charlie, deal):
    before = snapshot(deal)
    southern = CompanyFactory(owner=charlie)
    data = form_data(deal, company=southern.pk, contact="")
    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-company_name_error")
    assert error.text == "Choose a company you can see."
    assert snapshot(deal) == before


def test_edit_page_stale_version_answers_409(client, alice, maria, deal):
    data = form_data(deal, value="15000")
    Opportunity.objects.filter(pk=deal.pk).update(version=deal.version + 1, updated_by=maria)

    response = as_user(client, alice).post(edit_url(deal), data)

    assert response.status_code == 409
    assert element(response.content, "div", class_="alert-warning").text.startswith(str(maria))
    hidden = element(response.content, "input", name="version")
    assert hidden.attrs["value"] == str(deal.version + 1)
    deal.refresh_from_db()
    assert deal.value == Decimal("10000.00")


@pytest.mark.parametrize("user", ["bob", "charlie"])
def test_edit_page_is_shut_for_teammates_and_other_teams(client, request, deal, user):
    before = snapshot(deal)
    client = as_user(client, request.getfixturevalue(user))
    expected = 403 if user == "bob" else 404

    assert client.get(edit_url(deal)).status_code == expected
    assert client.post(edit_url(deal), form_data(deal, value="1")).status_code == expected
    assert snapshot(deal) == before


def test_admin_edits_any_deal(client, ada, deal):
    response = as_user(client, ada).post(edit_url(deal), form_data(deal, value="1"))

    assert response.status_code == 302


# --- reopening --------------------------------------------------------------------------------


@pytest.fixture
def won_deal(alice, deal, stages, client):
    from pipeline.services import move_opportunity

    move_opportunity(
        opportunity_id=deal.pk, by=alice, to_stage_id=stages["won"].pk, version=deal.version
    )
    deal.refresh_from_db()
    return deal


def test_panel_offers_to_reopen_a_won_deal_into_open_stages(client, alice, won_deal, stages):
    response = as_user(client, alice).get(
        reverse("pipeline:deal_detail", args=[won_deal.pk]), **HTMX
    )

    form = element(response.content, "form", class_="deal-reopen")
    assert form.attrs["action"] == reopen_url(won_deal)
    # The reopen form's own choices (other selects in the panel have options too).
    choices = [option.text for option in options(response.content, name="stage")]
    assert choices == ["Qualification", "Offer"]


def test_owner_reopens_a_won_deal(client, alice, won_deal, stages):
    data = {"version": won_deal.version, "stage": stages["qualification"].pk}
    response = as_user(client, alice).post(reopen_url(won_deal), data, **HTMX)

    assert response.status_code == 200
    won_deal.refresh_from_db()
    assert (won_deal.status, won_deal.stage) == ("open", stages["qualification"])
    assert won_deal.closed_at is None
    last = StageChange.objects.filter(opportunity=won_deal).latest("at", "pk")
    assert (last.from_stage, last.to_stage) == (stages["won"], stages["qualification"])
    triggers = json.loads(response.headers["HX-Trigger"])
    assert {"boardRefresh", "dealChanged"} <= triggers.keys()


def test_reopen_without_javascript_redirects_to_the_deal(client, alice, won_deal, stages):
    data = {"version": won_deal.version, "stage": stages["offer"].pk}
    response = as_user(client, alice).post(reopen_url(won_deal), data)

    assert response.status_code == 302
    won_deal.refresh_from_db()
    assert won_deal.stage == stages["offer"]


def test_reopen_at_a_stale_version_answers_409(client, alice, maria, won_deal, stages):
    before = snapshot(won_deal)
    data = {"version": won_deal.version - 1, "stage": stages["offer"].pk}
    response = as_user(client, alice).post(reopen_url(won_deal), data, **HTMX)

    assert response.status_code == 409
    assert snapshot(won_deal) == before


def test_reopen_into_a_closed_stage_names_the_stage(client, alice, won_deal, stages):
    before = snapshot(won_deal)
    data = {"version": won_deal.version, "stage": stages["won"].pk}
    response = as_user(client, alice).post(reopen_url(won_deal), data, **HTMX)

    assert response.status_code == 422
    assert element(response.content, "div", role="alert").text.startswith("Reopen into:")
    assert snapshot(won_deal) == before


@pytest.mark.parametrize(("user", "expected"), [("bob", 403), ("charlie", 404), ("maria", 200)])
def test_reopen_as_teammate_other_team_and_manager(
    client, request, won_deal, stages, user, expected
):
    data = {"version": won_deal.version, "stage": stages["offer"].pk}
    response = as_user(client, request.getfixturevalue(user)).post(
        reopen_url(won_deal), data, **HTMX
    )

    assert response.status_code == expected


# --- queries: the same for a column of 10 deals as of 1,000 -----------------------------------


def bulk_column(deal, count):
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {n:05d}",
            company=deal.company,
            owner=deal.owner,
            pipeline=deal.pipeline,
            stage=deal.stage,
            value=Decimal("100.00"),
            position=(n + 1) * 1024,
        )
        for n in range(count)
    )


# Session, user, the deal (visible, with what the panel shows).
PART_FORM_QUERIES = 3
# Session, user, the deal; savepoint, the locked deal, the external id check, savepoint,
# whether it has line items (then its value is theirs), the conditional UPDATE, release,
# the DealChange INSERT, refresh, release; the deal again for the answer (its summary and
# title), and its history; out of band the line items, the products offered, the buying
# team, the roles and the contacts offered. Around the UPDATE the deal is read for the
# rollups before and after, with its stage history, and the zones they are kept in
# (PostgreSQL: the owner's lock).
PART_SAVE_QUERIES = 25 + (connection.vendor == "postgresql")
# Session, user, the deal with its company and contact (the pickers show their names; no
# list of companies or contacts), the pipeline's checklists, the active custom fields (a rep
# is offered no owner).
EDIT_PAGE_QUERIES = 5
# Session, user, the card, the pipeline's stages, the column's header figures.
CARD_WITH_HEADER_QUERIES = 5


@pytest.mark.parametrize("count", [10, 1000])
def test_in_place_edit_queries_do_not_grow(client, alice, deal, count, django_assert_num_queries):
    bulk_column(deal, count)
    client = as_user(client, alice)
    data = {"version": deal.version, "value": "12000", "currency": "EUR"}

    with django_assert_num_queries(PART_FORM_QUERIES):
        client.get(f"{part_url(deal, 'value')}?version={deal.version}", **HTMX)
    with django_assert_num_queries(PART_SAVE_QUERIES):
        assert client.post(part_url(deal, "value"), data, **HTMX).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_edit_page_queries_do_not_grow(client, alice, deal, count, django_assert_num_queries):
    bulk_column(deal, count)
    Company.objects.bulk_create(
        Company(name=f"Company {n:05d}", domain=f"c{n}.example", owner=alice) for n in range(count)
    )
    # As many contacts at the deal's company: the contact picker lists none of them either.
    Contact.objects.bulk_create(
        Contact(company=deal.company, first_name="Person", last_name=f"{n:05d}", owner=alice)
        for n in range(count)
    )
    client = as_user(client, alice)

    with django_assert_num_queries(EDIT_PAGE_QUERIES):
        assert client.get(edit_url(deal)).status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_card_with_header_queries_do_not_grow(
    client, alice, deal, count, django_assert_num_queries
):
    bulk_column(deal, count)
    client = as_user(client, alice)
    url = reverse("pipeline:card", args=[deal.pk]) + "?columns=1"

    with django_assert_num_queries(CARD_WITH_HEADER_QUERIES):
        assert client.get(url, **HTMX).status_code == 200


def test_clearing_the_contact_of_a_deal_without_company_names_the_field(client, alice, stages):
    contact = ContactFactory(company__owner=alice)
    deal = OpportunityFactory(owner=alice, stage=stages["offer"], company=None, contact=contact)
    before = snapshot(deal)

    response = as_user(client, alice).post(
        part_url(deal, "contact"), {"version": deal.version, "contact": ""}, **HTMX
    )

    assert response.status_code == 422
    error = element(response.content, "div", id=f"edit-{deal.pk}-contact_error")
    assert error.text == "Contact: A deal needs a company or a contact."
    assert snapshot(deal) == before


def test_manager_reassigns_and_ticks_the_checklist_on_the_edit_page(
    client, maria, alice, bob, deal
):
    deal.stage.entry_checklist = ["Budget confirmed", "Pilot agreed"]
    deal.stage.save()
    data = form_data(deal, owner=bob.pk, checklist_done=["Pilot agreed"])

    response = as_user(client, maria).post(edit_url(deal), data)

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.owner, deal.checklist_done) == (bob, ["Pilot agreed"])
    owner_change = DealChange.objects.get(opportunity=deal, field="owner")
    assert (owner_change.old_display, owner_change.new_display) == (str(alice), str(bob))


def test_edit_page_refuses_an_unknown_checklist_item(client, alice, deal):
    before = snapshot(deal)
    response = as_user(client, alice).post(edit_url(deal), form_data(deal, checklist_done=["x"]))

    assert response.status_code == 422
    assert snapshot(deal) == before


# Session, user, the deal with what the panel shows, stage changes and edits (one query),
# touchpoints, open tasks, done tasks, the open stages it may be reopened into, and the
# sections: buying team (members, roles, contacts offered), products (line items,
# products offered) and custom fields (their definitions).
CLOSED_PANEL_QUERIES = 14


@pytest.mark.parametrize("count", [10, 1000])
def test_closed_deal_panel_queries_do_not_grow(
    client, alice, won_deal, count, django_assert_num_queries
):
    bulk_column(won_deal, count)
    client = as_user(client, alice)

    with django_assert_num_queries(CLOSED_PANEL_QUERIES):
        response = client.get(reverse("pipeline:deal_detail", args=[won_deal.pk]), **HTMX)

    assert element(response.content, "form", class_="deal-reopen")


# Session, user, the deal, the open stages (offered, then the one chosen), then the move
# (savepoint, the deal, the stage held, the version locked, the column's end, UPDATE,
# StageChange INSERT, release, the custom fields the stage requires), and the
# answer: the deal, its history, and out of band the parts that carry the deal's version
# (line items, products offered, buying team, roles, contacts offered). PostgreSQL also
# takes the column's lock. A reopened deal and its stage history are read for the rollups
# before and after, with their zones (PostgreSQL: and the owner's lock).
REOPEN_QUERIES = 26 + 2 * (connection.vendor == "postgresql")


@pytest.mark.parametrize("count", [10, 1000])
def test_reopen_queries_do_not_grow(
    client, alice, won_deal, stages, count, django_assert_num_queries
):
    bulk_column(won_deal, count)
    client = as_user(client, alice)
    data = {"version": won_deal.version, "stage": stages["offer"].pk}

    with django_assert_num_queries(REOPEN_QUERIES):
        assert client.post(reopen_url(won_deal), data, **HTMX).status_code == 200


def test_in_place_edit_answers_only_get_and_post(client, alice, deal):
    response = as_user(client, alice).put(part_url(deal, "value"), **HTMX)

    assert response.status_code == 405
