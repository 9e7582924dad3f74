"""The deal edit page's company and contact pickers in headless Chromium: a rep moves a
deal to another company and picks a contact there, searching as she types."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pipeline.models import Opportunity
from tests.browser.test_board import CspWatch
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deal(people):
    alice = people["alice"]
    acme = CompanyFactory(name="Acme Corp", owner=alice)
    offer = StageFactory(pipeline=PipelineFactory(name="New business"), name="Offer")
    return OpportunityFactory(
        title="Acme rollout",
        owner=alice,
        company=acme,
        contact=ContactFactory(first_name="Grace", last_name="Hopper", company=acme),
        stage=offer,
        value=Decimal("10000.00"),
        currency="EUR",
    )


def test_a_rep_moves_a_deal_to_another_company_and_picks_a_contact_there(
    page: Page, live_server, deal, people
):
    alice = people["alice"]
    globex = CompanyFactory(name="Globex Industries", owner=alice)
    # Same first name at both companies: the search offers only the chosen company's.
    ContactFactory(first_name="Gina", last_name="Acmeson", company=deal.company)
    gina = ContactFactory(first_name="Gina", last_name="Gold", company=globex)
    watch = CspWatch(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:edit_deal", args=[deal.pk]))
    form = page.locator("form[data-deal-edit]")

    # When Alice searches for the other company and picks it with the keyboard
    company = form.get_by_role("combobox", name="Company")
    expect(company).to_have_value("Acme Corp")
    company.fill("")
    company.press_sequentially("glob")
    globex_option = form.get_by_role("option", name="Globex Industries")
    expect(globex_option).to_be_visible()
    company.press("ArrowDown")
    expect(globex_option).to_have_attribute("aria-selected", "true")
    company.press("Enter")
    expect(company).to_have_value("Globex Industries")
    expect(form.locator("input[name=company]")).to_have_value(str(globex.pk))

    # ...then searches for a contact: only Globex's Gina is offered (editing adds nobody new)
    contact = form.get_by_role("combobox", name="Contact")
    contact.fill("")
    contact.press_sequentially("gina")
    expect(form.get_by_role("option", name="Gina Gold")).to_be_visible()
    offered = page.locator(f"#edit-{deal.pk}-contact_name-options").get_by_role("option")
    expect(offered).to_have_count(1)
    contact.press("ArrowDown")
    expect(form.get_by_role("option", name="Gina Gold")).to_have_attribute("aria-selected", "true")
    contact.press("Enter")
    expect(form.locator("input[name=contact]")).to_have_value(str(gina.pk))

    # ...and saves
    form.get_by_role("button", name="Save").click()

    # Then the deal's page shows, and the deal is Globex's, with Gina
    expect(page).to_have_url(live_server.url + reverse("pipeline:deal_detail", args=[deal.pk]))
    saved = Opportunity.objects.get(pk=deal.pk)
    assert (saved.company_id, saved.contact_id) == (globex.pk, gina.pk)
    assert watch.violations == []
