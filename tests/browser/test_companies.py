"""Companies, contacts and deals in headless Chromium: add a company past a duplicate warning,
add a person there, log a call from the contact's page and see it on the timeline; filter
the deals list and see its totals and export link follow."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from contacts.models import Company, Contact
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import CompanyFactory, OpportunityFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.add_init_script(WATCH_CSP)
    return errors


@pytest.fixture
def alice(db):
    user = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    user.team = TeamFactory(name="North")
    user.save(update_fields=["team"])
    return user


def test_add_a_company_and_a_contact_then_log_a_call_onto_the_timeline(
    page: Page, live_server, alice, screenshot
):
    CompanyFactory(name="Acme Existing", domain="acme.example", owner=alice)
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)

    # Given the company form, a domain that a visible company has is flagged as it is typed
    page.goto(live_server.url + reverse("contacts:company_list"))
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name", exact=True).fill("Acme Rollout")
    page.get_by_label("Domain").fill("https://www.ACME.example/about")
    hint = page.locator("#company-domain-hint")
    expect(hint).to_contain_text("Saved as acme.example.")
    expect(hint).to_contain_text("Acme Existing")

    # When Alice saves, she is offered the existing company or to create anyway
    page.get_by_role("button", name="Add company").click()
    duplicates = page.locator("#company-duplicates")
    expect(duplicates.get_by_role("link", name="Open Acme Existing")).to_be_visible()
    duplicates.get_by_role("button", name="Create anyway").click()

    # Then the new company's page opens, and she adds a person there
    expect(page.get_by_role("heading", name="Acme Rollout", level=1)).to_be_visible()
    company = Company.objects.get(name="Acme Rollout")
    assert company.domain == "acme.example"
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@acme.example")
    page.get_by_role("button", name="Add contact").click()

    # On the contact's page she logs a call in two clicks; the timeline shows it at once
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    contact = Contact.objects.get(first_name="Ada")
    assert contact.company == company
    timeline = page.locator(f"#contact-{contact.pk}-timeline")
    expect(timeline).to_contain_text("Nothing has happened here yet.")
    quick_log = page.locator(f"#contact-{contact.pk}-quick-log")
    quick_log.get_by_text("Log Call").click()
    quick_log.get_by_role("button", name="Log it").click()
    expect(timeline.locator(".record-timeline-item.is-touchpoint")).to_have_count(1)
    expect(timeline).to_contain_text("Call")
    screenshot("contact-timeline")

    # The form flagging the duplicate answered 422, which Chromium logs; nothing else may.
    assert [error for error in errors if "status of 422" not in error] == []


def test_deal_filters_swap_the_table_totals_and_export_link(
    page: Page, live_server, alice, screenshot
):
    for title, value in [("Engines", "5000"), ("Looms", "700"), ("Compilers", "300")]:
        OpportunityFactory(title=title, owner=alice, value=Decimal(value), company__owner=alice)
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:deal_list"))
    totals = page.locator("#deal-totals")
    expect(totals).to_contain_text("3 deals · 6,000 EUR")

    # When Alice narrows the value range, only the table part of the page is replaced
    page.get_by_label("Value from").fill("500")
    page.get_by_label("Value from").press("Tab")

    expect(totals).to_contain_text("2 deals · 5,700 EUR")
    expect(page.locator("#deal-table tbody tr")).to_have_count(2)
    export = page.get_by_role("link", name="Export CSV")
    expect(export).to_have_attribute("href", re.compile(r"value_min=500"))
    expect(page).to_have_url(re.compile(r"value_min=500"))
    screenshot("deal-list")
    assert errors == []
