"""Lead, contact and company lists: visibility, search, filters, sorting, paging, htmx, cost."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from contacts.models import LeadStatus
from core.lists import PAGE_SIZE
from tests.factories import CompanyFactory, ContactFactory, LeadFactory

# Queries for one list page at any size: session, user, COUNT for the paginator, the page,
# the owner filter's options, the custom fields (their filters and columns).
LIST_QUERIES = 6

LIST_URLS = ["contacts:lead_list", "contacts:contact_list", "contacts:company_list"]


def names_on_page(response):
    return {str(row) for row in response.context["page_obj"]}


@pytest.mark.parametrize("url_name", LIST_URLS)
def test_anonymous_user_is_sent_to_login(client, db, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(
    ("viewer", "seen"),
    [
        ("alice", {"Alice", "Bob"}),
        ("maria", {"Alice", "Bob", "Nobody"}),  # managers also see the unassigned queue
        ("charlie", {"Charlie"}),
        ("sam", {"Charlie", "Nobody"}),
        ("ada", {"Alice", "Bob", "Charlie", "Nobody"}),
    ],
)
def test_lead_list_shows_only_visible_leads(client, request, alice, bob, charlie, viewer, seen):
    for first_name, owner in [("Alice", alice), ("Bob", bob), ("Charlie", charlie)]:
        LeadFactory(first_name=first_name, last_name="Lead", company_name="", owner=owner)
    LeadFactory(first_name="Nobody", last_name="Lead", company_name="", owner=None)
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("contacts:lead_list"))

    assert response.status_code == 200
    assert names_on_page(response) == {f"{name} Lead" for name in seen}
    content = response.content.decode()
    for name in {"Alice", "Bob", "Charlie", "Nobody"} - seen:
        assert f"{name} Lead" not in content


def test_contact_and_company_lists_hide_another_teams_records(client, alice, charlie):
    ContactFactory(first_name="Anna", company__name="Alpha GmbH", company__owner=alice)
    # A name no generated user can carry: the page names the signed-in user too, and
    # "Carl" is in "Carlson".
    ContactFactory(first_name="Carl-Hidden", company__name="Charlie Corp", company__owner=charlie)
    client.force_login(alice)

    contacts = client.get(reverse("contacts:contact_list")).content.decode()
    companies = client.get(reverse("contacts:company_list")).content.decode()

    assert "Anna" in contacts
    assert "Carl-Hidden" not in contacts
    assert "Charlie Corp" not in contacts
    assert "Alpha GmbH" in companies
    assert "Charlie Corp" not in companies


def test_admin_sees_every_contact_and_company(client, ada, alice, charlie):
    ContactFactory(first_name="Anna", company__name="Alpha GmbH", company__owner=alice)
    ContactFactory(first_name="Carl", company__name="Charlie Corp", company__owner=charlie)
    client.force_login(ada)

    contacts = client.get(reverse("contacts:contact_list"))
    companies = client.get(reverse("contacts:company_list"))

    assert {c.first_name for c in contacts.context["page_obj"]} == {"Anna", "Carl"}
    assert {c.name for c in companies.context["page_obj"]} == {"Alpha GmbH", "Charlie Corp"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada", {"Ada Lovelace (Analytical Engines)"}),
        ("ENGINES", {"Ada Lovelace (Analytical Engines)"}),
        ("grace@navy", {"Grace Hopper (US Navy)"}),
        ("ada engines", {"Ada Lovelace (Analytical Engines)"}),  # every word must match
        ("ada navy", set()),
        ("", {"Ada Lovelace (Analytical Engines)", "Grace Hopper (US Navy)"}),
    ],
)
def test_lead_search_matches_name_email_and_company(client, alice, query, expected):
    LeadFactory(
        first_name="Ada", last_name="Lovelace", company_name="Analytical Engines", owner=alice
    )
    LeadFactory(
        first_name="Grace",
        last_name="Hopper",
        company_name="US Navy",
        email="grace@navy.example",
        owner=alice,
    )
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"q": query})

    assert names_on_page(response) == expected


def test_search_never_reaches_outside_visibility(client, alice, charlie):
    LeadFactory(last_name="Secret", company_name="Hidden Ltd", owner=charlie)
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"q": "Hidden"})

    assert names_on_page(response) == set()
    assert "No leads match this search." in response.content.decode()


def test_lead_status_filter(client, alice):
    LeadFactory(first_name="New", last_name="One", company_name="", owner=alice)
    LeadFactory(
        first_name="Qualified",
        last_name="One",
        company_name="",
        owner=alice,
        status=LeadStatus.QUALIFIED,
    )
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"status": LeadStatus.QUALIFIED})

    assert names_on_page(response) == {"Qualified One"}


def test_unknown_status_is_ignored_rather_than_an_error(client, alice):
    LeadFactory(owner=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"status": "nonsense"})

    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Able", "Baker", "Charlie"]),
        ("-name", ["Charlie", "Baker", "Able"]),
        ("score", ["Baker", "Charlie", "Able"]),
        ("-score", ["Able", "Charlie", "Baker"]),
        ("not-a-field", ["Charlie", "Baker", "Able"]),  # falls back to newest first
    ],
)
def test_lead_list_sorts_by_a_whitelisted_column(client, alice, sort, expected):
    for last_name, score in [("Able", 90), ("Baker", 10), ("Charlie", 50)]:
        LeadFactory(last_name=last_name, score=score, owner=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:lead_list"), {"sort": sort})

    assert [lead.last_name for lead in response.context["page_obj"]] == expected


def test_sort_header_links_toggle_direction_and_keep_the_search(client, alice):
    LeadFactory(owner=alice)
    client.force_login(alice)

    content = client.get(
        reverse("contacts:lead_list"), {"q": "x y", "sort": "name", "page": "1"}
    ).content.decode()

    # The current column flips to descending; the page number resets; the search stays.
    assert 'href="?q=x+y&amp;sort=-name"' in content
    assert 'href="?q=x+y&amp;sort=score"' in content


def test_lead_list_pages_by_fifty_and_keeps_filters(client, alice):
    LeadFactory.create_batch(PAGE_SIZE + 5, owner=alice, status=LeadStatus.CONTACTED)
    client.force_login(alice)
    url = reverse("contacts:lead_list")

    first = client.get(url, {"status": LeadStatus.CONTACTED})
    second = client.get(url, {"status": LeadStatus.CONTACTED, "page": 2})
    beyond = client.get(url, {"status": LeadStatus.CONTACTED, "page": 99})

    assert len(first.context["page_obj"]) == PAGE_SIZE
    assert 'href="?status=contacted&amp;page=2"' in first.content.decode()
    assert len(second.context["page_obj"]) == 5
    assert beyond.context["page_obj"].number == 2  # the nearest page, not a 404


def test_htmx_request_gets_only_the_table_fragment(client, alice):
    LeadFactory(last_name="Lovelace", owner=alice)
    client.force_login(alice)

    response = client.get(
        reverse("contacts:lead_list"), {"q": "love", "sort": "name"}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="lead-table"' in content
    assert "Lovelace" in content
    assert "<html" not in content
    assert "<nav" not in content.split('id="lead-table"')[0]
    # The search form's hidden sort field follows the table's order (out-of-band swap).
    assert 'id="lead-table-sort" value="name" hx-swap-oob="true"' in content
    assert "HX-Request" in response["Vary"]


def test_full_page_has_a_working_search_form_beside_the_htmx_attributes(client, alice):
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_list")).content.decode()

    assert (
        '<form class="d-flex flex-wrap gap-2 mb-3" role="search" method="get" action="/leads/"'
        in (content)
    )
    assert 'hx-trigger="input changed delay:300ms, search"' in content
    assert 'hx-target="#lead-table"' in content
    assert "hx-swap-oob" not in content


def test_htmx_history_restore_gets_the_whole_page(client, alice):
    client.force_login(alice)

    response = client.get(
        reverse("contacts:lead_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_contact_search_covers_company_name(client, alice):
    ContactFactory(first_name="Anna", company__name="Zeta Widgets", company__owner=alice)
    ContactFactory(first_name="Bert", company__name="Other", company__owner=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:contact_list"), {"q": "widgets"})

    assert [c.first_name for c in response.context["page_obj"]] == ["Anna"]


def test_company_search_and_sort(client, alice):
    CompanyFactory(name="Beta", industry="Retail", owner=alice)
    CompanyFactory(name="Alpha", industry="Retail", owner=alice)
    CompanyFactory(name="Gamma", industry="Energy", owner=alice)
    client.force_login(alice)

    response = client.get(reverse("contacts:company_list"), {"q": "retail", "sort": "-name"})

    assert [c.name for c in response.context["page_obj"]] == ["Beta", "Alpha"]


def test_companies_tab_is_marked_current(client, alice):
    client.force_login(alice)

    content = client.get(reverse("contacts:company_list")).content.decode()

    assert (
        f'class="nav-link active" aria-current="page" href="{reverse("contacts:company_list")}"'
        in (content)
    )


def make_leads(owner, count):
    LeadFactory.create_batch(count, owner=owner)


def make_contacts(owner, count):
    company = CompanyFactory(owner=owner)
    ContactFactory.create_batch(count, company=company, owner=owner)


def make_companies(owner, count):
    CompanyFactory.create_batch(count, owner=owner)


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("contacts:lead_list", make_leads),
        ("contacts:contact_list", make_contacts),
        ("contacts:company_list", make_companies),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    client, alice, bob, url_name, make, django_assert_num_queries
):
    make(alice, 3)
    client.force_login(alice)
    url = reverse(url_name)

    with django_assert_num_queries(LIST_QUERIES):
        client.get(url)

    make(bob, 60)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(url, {"page": 2})

    assert response.context["page_obj"].paginator.count >= 63


@pytest.mark.parametrize(("zone", "shown"), [("", "11/23/2026"), ("Asia/Jakarta", "11/24/2026")])
def test_times_are_shown_in_the_users_time_zone(client, alice, zone, shown):
    alice.time_zone = zone
    alice.save(update_fields=["time_zone"])
    touched = dt.datetime(2026, 11, 23, 20, 30, tzinfo=dt.UTC)  # 03:30 next day in Jakarta
    LeadFactory(owner=alice, last_touch_at=touched)
    client.force_login(alice)

    content = client.get(reverse("contacts:lead_list")).content.decode()

    assert f'<time datetime="{touched.astimezone(ZoneInfo(zone or "UTC")).isoformat()}">' in content
    assert f">{shown} " in content
