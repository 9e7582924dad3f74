"""The deal panel's buying-team section: who sees what, the writes, 409 and 422, counts.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie.
"""

import json

import pytest
from django.urls import reverse

from contacts.models import Contact
from pipeline.models import BuyingRole, DealContact, Opportunity
from pipeline.services import update_opportunity
from tests.factories import ContactFactory, DealContactFactory, OpportunityFactory
from tests.html import element, elements

HTMX = {"HX-Request": "true"}
# session, user, the deal, the team, the roles, the contacts offered, the line items, the
# products offered, the custom fields, the history timeline, touchpoints, open tasks, done
# tasks.
PANEL_QUERIES = 13
# session, user, savepoint, the deal locked, the contact, the role, the team before,
# savepoint, INSERT, release, UPDATE deal, the team after, INSERT history, release; the
# answer: the deal, the team, the roles, the contacts offered; out of band the line items
# and the products offered.
ADD_QUERIES = 20


@pytest.fixture
def deal(alice):
    return OpportunityFactory(owner=alice, title="Acme rollout")


@pytest.fixture
def decider(db):
    return BuyingRole.objects.get(name="Decision maker")


@pytest.fixture
def member(deal, decider):
    contact = ContactFactory(company=deal.company, first_name="Ann", last_name="Lee")
    update_opportunity(
        by=deal.owner, opportunity_id=deal.pk, version=1, fields={"contact": contact}
    )
    primary = DealContact.objects.get(opportunity=deal, contact=contact)
    DealContact.objects.filter(pk=primary.pk).update(role=decider)
    return primary


def section(response, deal):
    return element(response.content, "section", id=f"deal-{deal.pk}-buying-team")


def panel(client, deal):
    return client.get(reverse("pipeline:deal_detail", args=[deal.pk]), headers=HTMX)


def add_url(deal):
    return reverse("pipeline:buying_team_add", args=[deal.pk])


def current_version(deal):
    return Opportunity.objects.values_list("version", flat=True).get(pk=deal.pk)


@pytest.mark.parametrize(
    ("viewer", "can_change"), [("alice", True), ("maria", True), ("bob", False)]
)
def test_who_sees_the_team_and_who_may_change_it(client, request, member, deal, viewer, can_change):
    client.force_login(request.getfixturevalue(viewer))

    response = panel(client, deal)

    assert response.status_code == 200
    row = element(response.content, "li", id=f"deal-contact-{member.pk}")
    assert "Ann Lee" in row.text
    assert "Decision maker" in row.text
    assert "Primary contact:" in row.text
    assert bool(elements(response.content, "form", id=f"deal-{deal.pk}-team-add")) is can_change
    role_forms = elements(response.content, "form", class_="deal-team-role-form")
    assert bool(role_forms) is can_change


def test_other_team_cannot_open_the_panel_or_the_picker(client, charlie, member, deal):
    client.force_login(charlie)

    assert panel(client, deal).status_code == 404
    picker = reverse("pipeline:buying_team_contacts", args=[deal.pk])
    assert client.get(picker, headers=HTMX).status_code == 404


def test_owner_adds_a_decision_maker_and_the_panel_and_card_follow(client, alice, deal, decider):
    contact = ContactFactory(company=deal.company, first_name="Dora", last_name="Diaz")
    client.force_login(alice)

    response = client.post(
        add_url(deal),
        {"version": 1, "contact": contact.pk, "role": decider.pk, "primary": "on"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["dealChanged"] == {"id": deal.pk}
    added = DealContact.objects.get(opportunity=deal, contact=contact)
    assert (added.role, added.is_primary) == (decider, True)
    row = element(response.content, "li", id=f"deal-contact-{added.pk}")
    assert "Dora Diaz" in row.text
    # The section comes back at the new version; the summary (the contact) out of band.
    element(response.content, "form", id=f"deal-{deal.pk}-team-add")
    versions = {box.attrs["value"] for box in elements(response.content, "input", name="version")}
    assert versions == {"2"}
    summary = element(response.content, "div", id=f"deal-{deal.pk}-summary")
    assert summary.attrs["hx-swap-oob"] == "true"
    assert "Dora Diaz" in summary.text


def test_a_stale_version_is_409_naming_who_changed_it(client, alice, maria, deal):
    contact = ContactFactory(company=deal.company)
    update_opportunity(by=maria, opportunity_id=deal.pk, version=1, fields={"title": "Renamed"})
    client.force_login(alice)

    response = client.post(add_url(deal), {"version": 1, "contact": contact.pk}, headers=HTMX)

    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-buying-team"
    error = element(response.content, "div", id=f"deal-{deal.pk}-buying-team-error")
    assert str(maria) in error.text
    assert not DealContact.objects.filter(opportunity=deal).exists()


def test_bad_input_is_422_with_the_message_and_nothing_written(client, alice, deal):
    client.force_login(alice)

    response = client.post(add_url(deal), {"version": 1}, headers=HTMX)

    assert response.status_code == 422
    error = element(response.content, "div", id=f"deal-{deal.pk}-buying-team-error")
    assert error.text == "Choose a contact to add."
    assert current_version(deal) == 1


def test_a_contact_of_another_team_is_refused(client, alice, charlie, deal):
    hidden = ContactFactory(company__owner=charlie)
    client.force_login(alice)

    response = client.post(add_url(deal), {"version": 1, "contact": hidden.pk}, headers=HTMX)

    assert response.status_code == 422
    assert not DealContact.objects.filter(opportunity=deal).exists()


def test_teammate_is_refused_with_403(client, bob, member, deal):
    client.force_login(bob)
    url = reverse("pipeline:buying_team_remove", args=[deal.pk, member.pk])

    response = client.post(url, {"version": current_version(deal)}, headers=HTMX)

    assert response.status_code == 403
    assert DealContact.objects.filter(pk=member.pk).exists()


def test_manager_changes_a_role_makes_primary_and_removes(client, maria, member, deal):
    champion = BuyingRole.objects.get(name="Champion")
    other = DealContactFactory(opportunity=deal, contact=ContactFactory(company=deal.company))
    client.force_login(maria)

    role = client.post(
        reverse("pipeline:buying_team_role", args=[deal.pk, member.pk]),
        {"version": current_version(deal), "role": champion.pk},
        headers=HTMX,
    )
    primary = client.post(
        reverse("pipeline:buying_team_primary", args=[deal.pk, other.pk]),
        {"version": current_version(deal)},
        headers=HTMX,
    )
    removed = client.post(
        reverse("pipeline:buying_team_remove", args=[deal.pk, member.pk]),
        {"version": current_version(deal)},
        headers=HTMX,
    )

    assert [role.status_code, primary.status_code, removed.status_code] == [200, 200, 200]
    deal.refresh_from_db()
    assert deal.contact_id == other.contact_id
    assert list(DealContact.objects.filter(opportunity=deal).values_list("pk", "is_primary")) == [
        (other.pk, True)
    ]


def test_without_javascript_a_write_redirects_to_the_deal_page(client, alice, deal):
    contact = ContactFactory(company=deal.company)
    client.force_login(alice)

    response = client.post(add_url(deal), {"version": 1, "contact": contact.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("pipeline:deal_detail", args=[deal.pk])
    assert DealContact.objects.filter(opportunity=deal, contact=contact).exists()


def test_the_picker_offers_visible_contacts_not_on_the_team_company_first(
    client, alice, charlie, member, deal
):
    elsewhere = ContactFactory(company__owner=alice, first_name="Aaron")
    colleague = ContactFactory(company=deal.company, first_name="Zed")
    ContactFactory(company__owner=charlie, first_name="Hidden")
    client.force_login(alice)
    url = reverse("pipeline:buying_team_contacts", args=[deal.pk])

    everyone = client.get(url, headers=HTMX)
    searched = client.get(url, {"q": "aar"}, headers=HTMX)

    options = [option.attrs["value"] for option in elements(everyone.content, "option")]
    assert options == [str(colleague.pk), str(elsewhere.pk)]
    assert [option.attrs["value"] for option in elements(searched.content, "option")] == [
        str(elsewhere.pk)
    ]


def grow_team(deal, owner, rows):
    company = deal.company
    start = Contact.objects.count()
    contacts = Contact.objects.bulk_create(
        Contact(
            company=company,
            owner=owner,
            first_name=f"Person {start + index}",
            email=f"p{start + index}@example.com",
        )
        for index in range(rows)
    )
    role = BuyingRole.objects.get(name="Influencer")
    DealContact.objects.bulk_create(
        DealContact(opportunity=deal, contact=contact, role=role) for contact in contacts
    )
    # As many again who could join.
    Contact.objects.bulk_create(
        Contact(
            company=company,
            owner=owner,
            first_name=f"Free {start + index}",
            email=f"f{start + index}@example.com",
        )
        for index in range(rows)
    )


def test_panel_query_count_is_the_same_for_10_and_1000_members(
    client, alice, deal, django_assert_num_queries
):
    client.force_login(alice)
    grow_team(deal, alice, 10)
    with django_assert_num_queries(PANEL_QUERIES):
        small = panel(client, deal)
    grow_team(deal, alice, 990)
    with django_assert_num_queries(PANEL_QUERIES):
        large = panel(client, deal)

    assert len(small.context_data["panel"].buying_team.members) == 10
    assert len(large.context_data["panel"].buying_team.members) == 1000


def test_add_query_count_is_the_same_for_10_and_1000_members(
    client, alice, deal, decider, django_assert_num_queries
):
    client.force_login(alice)
    for rows in (10, 990):
        grow_team(deal, alice, rows)
        contact = ContactFactory(company=deal.company)
        data = {"version": current_version(deal), "contact": contact.pk, "role": decider.pk}
        with django_assert_num_queries(ADD_QUERIES):
            response = client.post(add_url(deal), data, headers=HTMX)
        assert response.status_code == 200
