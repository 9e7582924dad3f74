"""Company and contact pickers: what a search offers, and how a typed name is resolved."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import Company, Contact
from contacts.pickers import SEARCH_RESULTS, resolve_company, resolve_contact, split_name
from tests.factories import CompanyFactory, ContactFactory
from tests.html import elements

HTMX = {"HTTP_HX_REQUEST": "true"}
COMPANIES = reverse("contacts:company_search")
CONTACTS = reverse("contacts:contact_search")
# session, user, one search.
SEARCH_QUERIES = 3


@pytest.fixture
def companies(alice, bob, charlie):
    return {
        "alice": CompanyFactory(name="Northwind Traders", domain="northwind.example", owner=alice),
        "bob": CompanyFactory(name="Northwind Logistics", owner=bob),
        "charlie": CompanyFactory(name="Northwind South", owner=charlie),
    }


def search(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params, **HTMX)


def offered(response):
    return [
        (option.attrs["data-value"], option.attrs["data-label"])
        for option in elements(response.content, "li", role="option")
    ]


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("alice", {"alice", "bob"}),
        ("bob", {"alice", "bob"}),
        ("maria", {"alice", "bob"}),
        ("charlie", {"charlie"}),
        ("ada", {"alice", "bob", "charlie"}),
    ],
)
def test_company_search_offers_only_what_the_user_can_see(
    request, client, companies, username, expected
):
    user = request.getfixturevalue(username)

    response = search(client, user, COMPANIES, q="northwind")

    assert response.status_code == 200
    found = {value for value, _label in offered(response) if value}
    assert found == {str(companies[name].pk) for name in expected}


def test_a_search_offers_to_add_what_no_record_is_called(client, alice, companies):
    response = search(client, alice, COMPANIES, q="Northwind", field="q", picker="id_company_name")

    new = elements(response.content, "li", id="id_company_name-option-new")
    assert [option.attrs["data-label"] for option in new] == ["Northwind"]
    assert "data-new" in new[0].attrs

    exact = search(client, alice, COMPANIES, q="northwind traders")
    assert not elements(exact.content, "li", id="record-picker-option-new")


@pytest.mark.parametrize("url", [COMPANIES, CONTACTS])
def test_a_picker_of_existing_records_is_not_offered_to_add_one(client, alice, companies, url):
    response = search(client, alice, url, q="Nobody here", existing="1")

    assert response.status_code == 200
    assert not elements(response.content, "li", id="record-picker-option-new")
    offered = search(client, alice, url, q="Nobody here")
    assert elements(offered.content, "li", id="record-picker-option-new")


def test_the_picker_names_the_input_it_searches_from(client, alice, companies):
    response = search(client, alice, COMPANIES, field="company_name", company_name="logistics")

    assert offered(response)[0] == (str(companies["bob"].pk), "Northwind Logistics")


def test_contact_search_narrows_to_the_chosen_company(client, alice, companies):
    ana = ContactFactory(company=companies["alice"], first_name="Ana", last_name="North")
    ContactFactory(company=companies["bob"], first_name="Anabel", last_name="Bay")
    ContactFactory(company=companies["charlie"], first_name="Anastasia", last_name="South")

    everywhere = search(client, alice, CONTACTS, q="ana")
    at_company = search(client, alice, CONTACTS, q="ana", company=companies["alice"].pk)

    assert {label for value, label in offered(everywhere) if value} == {"Ana North", "Anabel Bay"}
    assert [(value, label) for value, label in offered(at_company) if value] == [
        (str(ana.pk), "Ana North")
    ]
    option = elements(at_company.content, "li", **{"data-value": str(ana.pk)})[0]
    assert option.attrs["data-company-id"] == str(companies["alice"].pk)


def test_an_empty_search_offers_nothing(client, alice, companies):
    assert offered(search(client, alice, COMPANIES, q="  ")) == []


def test_signed_out_an_htmx_search_is_sent_to_sign_in(client, companies):
    response = client.get(COMPANIES, {"q": "north"}, **HTMX)

    assert response.status_code == 401
    assert "HX-Redirect" in response


@pytest.mark.parametrize("url", [COMPANIES, CONTACTS])
def test_a_search_costs_the_same_at_10_and_1000_records(
    client, alice, url, django_assert_num_queries
):
    def add(count):
        start = Company.objects.count()
        made = Company.objects.bulk_create(
            Company(name=f"Acme {start + n}", owner=alice) for n in range(count)
        )
        Contact.objects.bulk_create(
            Contact(company=company, first_name="Acme", last_name=str(n), owner=alice)
            for n, company in enumerate(made)
        )

    add(10)
    client.force_login(alice)
    with django_assert_num_queries(SEARCH_QUERIES):
        client.get(url, {"q": "acme"}, **HTMX)
    add(990)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(url, {"q": "acme"}, **HTMX)
    assert len([value for value, _label in offered(response) if value]) == SEARCH_RESULTS


# --- resolving what a picker sends -------------------------------------------------------


def test_a_chosen_company_is_taken_when_its_name_is_shown(alice, companies):
    chosen = companies["bob"]

    assert resolve_company(alice, pk=chosen.pk, name=chosen.name).record == chosen
    assert resolve_company(alice, pk=str(chosen.pk), name="").record == chosen


def test_a_name_typed_over_a_chosen_company_decides(alice, companies):
    pick = resolve_company(alice, pk=companies["bob"].pk, name="northwind traders")

    assert pick.record == companies["alice"]


def test_a_company_nobody_is_called_is_new_and_an_unseen_one_is_refused(alice, companies):
    assert resolve_company(alice, pk="", name="  Globex   Corp ").new_name == "Globex Corp"
    assert resolve_company(alice, pk="", name="").is_empty
    # Another team's company by its name is not found, so it would be a new one of Alice's.
    assert resolve_company(alice, pk="", name="Northwind South").new_name == "Northwind South"
    with pytest.raises(ValidationError) as refusal:
        resolve_company(alice, pk=companies["charlie"].pk, name="")
    assert refusal.value.messages == ["Choose a company you can see."]


def test_a_contact_is_resolved_by_full_name_at_the_chosen_company(alice, companies):
    ana = ContactFactory(company=companies["alice"], first_name="Ana", last_name="North")
    ContactFactory(company=companies["bob"], first_name="Ana", last_name="North")

    assert resolve_contact(alice, pk="", name="ana north", company=companies["alice"]).record == ana
    with pytest.raises(ValidationError) as refusal:
        resolve_contact(alice, pk="", name="Ana North")
    assert refusal.value.messages == [
        "Several contacts are called “Ana North”: pick one from the list."
    ]


def test_a_typed_name_splits_at_the_first_space():
    assert split_name("Ada King Lovelace") == ("Ada", "King Lovelace")
    assert split_name("Cher") == ("Cher", "")
