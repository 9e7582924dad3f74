"""Company pages: list filters and export, the detail page, forms with duplicate domains, merge.

As the owner (Alice), a teammate (Bob), their manager (Maria), someone from another team
(Charlie, Sam) and an admin (Ada).
"""

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from contacts.models import Company, Contact
from pipeline.models import Opportunity, OpportunityStatus, StageChange
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
)

HTMX = {"HX-Request": "true"}
# session, user, COUNT for the paginator, the page, the owner filter's options, the custom
# fields (their filters and columns)
LIST_QUERIES = 6
# session, user, the company (with owner and can_edit), its contacts, its domain twins, then
# the timeline: deals, touchpoints, tasks, stage changes
# The record's custom fields (their definitions): one query.
DETAIL_QUERIES = 10


def exported(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def names(response):
    return {company.name for company in response.context["page_obj"]}


@pytest.fixture
def acme(alice):
    return CompanyFactory(name="Acme", domain="acme.example", owner=alice)


# --- List and export ----------------------------------------------------------------------


def test_filters_by_owner_industry_country_and_open_deals(client, alice, bob, stage):
    dealing = CompanyFactory(name="Dealing", owner=alice, industry="Retail", country="DE")
    CompanyFactory(name="Quiet", owner=alice, industry="retail", country="IT")
    CompanyFactory(name="Bobs", owner=bob, industry="Energy", country="DE")
    OpportunityFactory(owner=alice, company=dealing, stage=stage)
    OpportunityFactory(owner=alice, company=dealing, stage=stage)
    client.force_login(alice)
    url = reverse("contacts:company_list")

    assert names(client.get(url, {"owner": "me"})) == {"Dealing", "Quiet"}
    assert names(client.get(url, {"industry": "RETAIL"})) == {"Dealing", "Quiet"}
    assert names(client.get(url, {"country": "de"})) == {"Dealing", "Bobs"}
    assert [c.name for c in client.get(url, {"open_deals": "yes"}).context["page_obj"]] == [
        "Dealing"
    ]
    assert names(client.get(url, {"open_deals": "no"})) == {"Quiet", "Bobs"}


def test_a_closed_deal_is_not_an_open_deal(client, alice, stage):
    company = CompanyFactory(name="Won", owner=alice)
    OpportunityFactory(
        owner=alice,
        company=company,
        stage=stage,
        status=OpportunityStatus.WON,
        closed_at=timezone.now(),
    )
    client.force_login(alice)

    response = client.get(reverse("contacts:company_list"), {"open_deals": "yes"})

    assert names(response) == set()


def test_export_holds_visible_filtered_companies_with_formulas_escaped(client, alice, charlie):
    CompanyFactory(name="@Evil", owner=alice, country="DE")
    CompanyFactory(name="Italian", owner=alice, country="IT")
    CompanyFactory(name="Theirs", owner=charlie, country="DE")
    client.force_login(alice)

    rows = exported(client.get(reverse("contacts:company_export"), {"country": "DE"}))

    assert [row["Name"] for row in rows] == ["'@Evil"]


@pytest.mark.parametrize("rows", [2, 30])
def test_filtered_list_query_count_does_not_grow(
    client, alice, rows, stage, django_assert_num_queries
):
    for company in CompanyFactory.create_batch(rows, owner=alice, industry="Retail"):
        OpportunityFactory(owner=alice, company=company, stage=stage)
    client.force_login(alice)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(
            reverse("contacts:company_list"),
            {"owner": "me", "industry": "retail", "open_deals": "yes"},
        )

    assert len(response.context["page_obj"]) == rows


# --- Detail page --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status", "can_edit"),
    [
        ("alice", 200, True),
        ("bob", 200, False),
        ("maria", 200, True),
        ("charlie", 404, None),
        ("sam", 404, None),
        ("ada", 200, True),
    ],
)
def test_detail_visibility(client, request, acme, viewer, status, can_edit):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("contacts:company_detail", args=[acme.pk]))

    assert response.status_code == status
    if status == 200:
        edit_url = reverse("contacts:company_edit", args=[acme.pk])
        assert (edit_url in response.content.decode()) is can_edit


def test_detail_shows_people_deals_and_the_timeline_across_them(client, alice, acme, stage):
    ada = ContactFactory(company=acme, owner=alice, first_name="Ada", last_name="Lovelace")
    grace = ContactFactory(company=acme, owner=alice, first_name="Grace", last_name="Hopper")
    deal = OpportunityFactory(title="Engines", owner=alice, company=acme, contact=ada, stage=stage)
    TouchpointFactory(opportunity=None, contact=grace, by=alice, summary="Met Grace")
    TouchpointFactory(opportunity=deal, by=alice, summary="Pitched engines")
    TaskFactory(opportunity=None, contact=ada, assignee=alice, title="Call Ada back")
    client.force_login(alice)

    response = client.get(reverse("contacts:company_detail", args=[acme.pk]))

    content = response.content.decode()
    assert response.context["people"] == [grace, ada]
    for text in ["Ada Lovelace", "Engines", "Met Grace", "Pitched engines", "Call Ada back"]:
        assert text in content
    assert reverse("pipeline:deal_detail", args=[deal.pk]) in content


def test_detail_warns_of_visible_companies_with_the_same_domain(client, alice, charlie, acme):
    twin = CompanyFactory(name="Acme Twin", domain="acme.example", owner=alice)
    CompanyFactory(name="Acme Hidden", domain="acme.example", owner=charlie)
    client.force_login(alice)

    content = client.get(reverse("contacts:company_detail", args=[acme.pk])).content.decode()

    assert "Possible duplicate" in content
    assert f"{reverse('contacts:company_merge', args=[acme.pk])}?other={twin.pk}" in content
    assert "Acme Hidden" not in content


@pytest.mark.parametrize("rows", [1, 12])
def test_detail_query_count_does_not_grow(
    client, alice, acme, stage, rows, django_assert_num_queries
):
    for _ in range(rows):
        person = ContactFactory(company=acme, owner=alice)
        deal = OpportunityFactory(owner=alice, company=acme, contact=person, stage=stage)
        StageChange.objects.create(
            opportunity=deal, from_stage=StageFactory(), to_stage=stage, by=alice
        )
        TouchpointFactory(opportunity=deal, by=alice)
        TouchpointFactory(opportunity=None, contact=person, by=alice)
        TaskFactory(opportunity=None, contact=person, assignee=alice)
        # The company's own activity, about none of its people or deals.
        TouchpointFactory(opportunity=None, company=acme, by=alice)
        TaskFactory(opportunity=None, company=acme, assignee=alice)
    client.force_login(alice)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("contacts:company_detail", args=[acme.pk]))

    assert len(response.context["people"]) == rows


# --- Create and edit ----------------------------------------------------------------------


def test_create_company_normalises_the_domain(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("contacts:company_create"),
        {"name": "Acme", "domain": "https://www.ACME.example/contact", "country": "de"},
    )

    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:company_detail", args=[company.pk])
    assert (company.domain, company.country, company.owner) == ("acme.example", "DE", alice)


def test_a_visible_duplicate_domain_is_flagged_before_anything_is_created(client, alice, acme):
    client.force_login(alice)
    url = reverse("contacts:company_create")

    flagged = client.post(url, {"name": "Acme again", "domain": "www.acme.example"})

    content = flagged.content.decode()
    assert flagged.status_code == 422
    assert reverse("contacts:company_detail", args=[acme.pk]) in content  # open existing
    assert 'name="create_anyway" value="1"' in content
    assert Company.objects.count() == 1

    anyway = client.post(
        url, {"name": "Acme again", "domain": "www.acme.example", "create_anyway": "1"}
    )

    assert anyway.status_code == 302
    assert Company.objects.filter(domain="acme.example").count() == 2


def test_bad_input_is_named_by_its_field(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("contacts:company_create"), {"name": "", "domain": "not a domain", "country": "XYZ"}
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "Name: This field is required." in content
    assert not Company.objects.exists()


def test_domain_check_shows_the_stored_form_and_visible_twins(client, alice, charlie, acme):
    CompanyFactory(name="Hidden Acme", domain="hidden.example", owner=charlie)
    client.force_login(alice)
    url = reverse("contacts:company_check_domain")

    twin = client.get(url, {"domain": "https://WWW.acme.example/x"}, headers=HTMX)
    itself = client.get(url, {"domain": "acme.example", "company": acme.pk}, headers=HTMX)
    hidden = client.get(url, {"domain": "hidden.example"}, headers=HTMX)

    assert "Saved as acme.example." in twin.content.decode()
    assert reverse("contacts:company_detail", args=[acme.pk]) in twin.content.decode()
    assert "Possible duplicate" not in itself.content.decode()
    assert "Hidden Acme" not in hidden.content.decode()


@pytest.mark.parametrize(
    ("viewer", "status"), [("alice", 302), ("maria", 302), ("bob", 403), ("charlie", 404)]
)
def test_who_may_edit_a_company(client, request, acme, viewer, status):
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("contacts:company_edit", args=[acme.pk])

    response = client.post(url, {"name": "Renamed", "domain": "acme.example"})

    assert response.status_code == status
    acme.refresh_from_db()
    assert (acme.name == "Renamed") is (status == 302)


def test_edit_form_shows_the_company(client, alice, acme):
    client.force_login(alice)

    response = client.get(reverse("contacts:company_edit", args=[acme.pk]))

    assert response.status_code == 200
    assert 'value="acme.example"' in response.content.decode()


# --- Merge --------------------------------------------------------------------------------


def test_merge_page_offers_companies_with_the_same_domain_or_name(client, alice, acme):
    by_domain = CompanyFactory(name="ACME Inc", domain="acme.example", owner=alice)
    by_name = CompanyFactory(name="acme", domain="other.example", owner=alice)
    CompanyFactory(name="Unrelated", owner=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:company_merge", args=[acme.pk]))

    assert set(response.context["candidates"]) == {by_domain, by_name}


def test_merge_moves_contacts_and_deals_and_lands_on_the_kept_company(client, alice, acme, stage):
    other = CompanyFactory(name="ACME Inc", domain="acme.example", owner=alice)
    person = ContactFactory(company=other, owner=alice)
    deal = OpportunityFactory(owner=alice, company=other, contact=person, stage=stage)
    client.force_login(alice)

    response = client.post(reverse("contacts:company_merge", args=[acme.pk]), {"other": other.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:company_detail", args=[acme.pk])
    assert not Company.objects.filter(pk=other.pk).exists()
    assert Contact.objects.get(pk=person.pk).company_id == acme.pk
    assert Opportunity.objects.get(pk=deal.pk).company_id == acme.pk


@pytest.mark.parametrize(("viewer", "status"), [("bob", 403), ("charlie", 404)])
def test_merge_needs_an_editable_company(client, request, alice, acme, viewer, status):
    other = CompanyFactory(domain="acme.example", owner=alice)
    client.force_login(request.getfixturevalue(viewer))
    url = reverse("contacts:company_merge", args=[acme.pk])

    assert client.get(url).status_code == status
    assert client.post(url, {"other": other.pk}).status_code == status
    assert Company.objects.count() == 2


def test_merge_cannot_reach_a_company_the_user_cannot_change(client, alice, charlie, acme):
    theirs = CompanyFactory(domain="acme.example", owner=charlie)
    client.force_login(alice)

    response = client.post(reverse("contacts:company_merge", args=[acme.pk]), {"other": theirs.pk})

    assert response.status_code == 422
    assert Company.objects.filter(pk=theirs.pk).exists()


# --- Cost of the forms and writes ---------------------------------------------------------

# session, user, the owner choices
# The record's custom fields (their definitions): one query.
CREATE_FORM_QUERIES = 4
# session, user, the company, the owner choices
# The record's custom fields (their definitions): one query.
EDIT_FORM_QUERIES = 5
# session, user, the company, the merge candidates
MERGE_FORM_QUERIES = 4
# session, user, the company, its domain twins
DOMAIN_CHECK_QUERIES = 4
# session, user, the owner choices, savepoints, the checks, the INSERT; PostgreSQL also
# takes an advisory lock on the domain, so that two people cannot add it twice at once.
# The record's custom fields (their definitions): one query.
CREATE_QUERIES = 10 + (connection.vendor == "postgresql")
# session, user, the company, the owner choices, the locked company, the checks, the UPDATE
# The record's custom fields (their definitions): one query.
EDIT_QUERIES = 12
# session, user, the page's reads, both companies and their contacts locked, one UPDATE per
# relation that refers to a company (however many rows it moves), the delete (which looks
# for rows still referring to the merged company: its tasks and touchpoints, one each)
MERGE_QUERIES = 22


@pytest.mark.parametrize("rows", [1, 20])
def test_forms_and_checks_cost_the_same_at_any_size(
    client, alice, acme, rows, django_assert_num_queries
):
    CompanyFactory.create_batch(rows, owner=alice, domain="acme.example")
    ContactFactory.create_batch(rows, company=acme, owner=alice)
    client.force_login(alice)
    pages = [
        ("contacts:company_create", [], {}, CREATE_FORM_QUERIES),
        ("contacts:company_edit", [acme.pk], {}, EDIT_FORM_QUERIES),
        ("contacts:company_merge", [acme.pk], {}, MERGE_FORM_QUERIES),
        (
            "contacts:company_check_domain",
            [],
            {"company": acme.pk, "domain": "acme.example"},
            DOMAIN_CHECK_QUERIES,
        ),
    ]

    for url_name, args, params, queries in pages:
        with django_assert_num_queries(queries):
            response = client.get(reverse(url_name, args=args), params)
        assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
def test_writes_cost_the_same_at_any_size(
    client, alice, acme, stage, rows, django_assert_num_queries
):
    other = CompanyFactory(owner=alice, domain="acme.example")
    for _ in range(rows):
        person = ContactFactory(company=other, owner=alice)
        OpportunityFactory(owner=alice, company=other, contact=person, stage=stage)
    client.force_login(alice)

    with django_assert_num_queries(CREATE_QUERIES):
        created = client.post(
            reverse("contacts:company_create"), {"name": "New", "domain": "new.example"}
        )
    with django_assert_num_queries(EDIT_QUERIES):
        edited = client.post(
            reverse("contacts:company_edit", args=[acme.pk]),
            {"name": "Acme AG", "domain": "acme.example"},
        )
    with django_assert_num_queries(MERGE_QUERIES):
        merged = client.post(reverse("contacts:company_merge", args=[acme.pk]), {"other": other.pk})

    assert [created.status_code, edited.status_code, merged.status_code] == [302, 302, 302]
    assert acme.contacts.count() == rows
    assert acme.opportunities.count() == rows
