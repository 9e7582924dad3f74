"""The contact page lists the deals the contact is on the buying team of, with the role."""

import pytest
from django.urls import reverse

from pipeline.models import BuyingRole, DealContact, Opportunity
from tests.factories import ContactFactory, DealContactFactory, OpportunityFactory
from tests.html import element, elements

# As tests/contacts/test_contact_pages.py: the card is one of the page's ten queries.
CONTACT_PAGE_QUERIES = 10


@pytest.fixture
def contact(alice):
    return ContactFactory(company__owner=alice, first_name="Ann", last_name="Lee")


def page(client, contact):
    return client.get(reverse("contacts:contact_detail", args=[contact.pk]))


def card_items(response):
    return elements(response.content, "li", class_="record-buying-team")


@pytest.mark.parametrize("viewer", ["alice", "bob", "maria"])
def test_owner_teammate_and_manager_see_the_deal_and_role(client, request, alice, contact, viewer):
    deal = OpportunityFactory(owner=alice, title="Acme rollout", company=contact.company)
    member = DealContactFactory(
        opportunity=deal, contact=contact, role=BuyingRole.objects.get(name="Decision maker")
    )
    client.force_login(request.getfixturevalue(viewer))

    response = page(client, contact)

    item = element(response.content, "li", id=f"buying-team-{member.pk}")
    assert "Acme rollout" in item.text
    assert "Decision maker" in item.text
    link = element(response.content, "a", href=reverse("pipeline:deal_detail", args=[deal.pk]))
    assert link.text == "Acme rollout"


def test_other_teams_deals_are_left_out(client, alice, charlie, sam, contact):
    theirs = OpportunityFactory(owner=charlie, title="South secret")
    DealContactFactory(opportunity=theirs, contact=contact)
    client.force_login(alice)

    response = page(client, contact)

    assert card_items(response) == []
    assert "South secret" not in " ".join(item.text for item in elements(response.content))


def test_the_primary_star_is_shown(client, alice, contact):
    deal = OpportunityFactory(owner=alice, company=contact.company, contact=contact)
    DealContactFactory(opportunity=deal, contact=contact, is_primary=True)
    client.force_login(alice)

    (item,) = card_items(page(client, contact))

    assert "Primary contact" in item.text


def on_teams(contact, owner, rows):
    company = contact.company
    start = Opportunity.objects.count()
    first = Opportunity.objects.select_related("stage").first()
    deals = Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Deal {start + index}",
            company=company,
            owner=owner,
            pipeline=first.pipeline,
            stage=first.stage,
            value=10,
            currency="EUR",
            position=(start + index + 1) * 65536,
        )
        for index in range(rows)
    )
    role = BuyingRole.objects.get(name="Champion")
    DealContact.objects.bulk_create(
        DealContact(opportunity=deal, contact=contact, role=role) for deal in deals
    )


def test_query_count_is_the_same_for_10_and_1000_deals(
    client, alice, contact, django_assert_num_queries
):
    # The contact's own deal: the timeline reads its stage changes too.
    OpportunityFactory(owner=alice, company=contact.company, contact=contact)
    client.force_login(alice)
    on_teams(contact, alice, 10)
    with django_assert_num_queries(CONTACT_PAGE_QUERIES):
        small = page(client, contact)
    on_teams(contact, alice, 990)
    with django_assert_num_queries(CONTACT_PAGE_QUERIES):
        large = page(client, contact)

    assert len(card_items(small)) == 10
    assert len(card_items(large)) == 200
