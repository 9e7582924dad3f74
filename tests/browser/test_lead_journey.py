"""A lead's whole journey in headless Chromium: capture it, log a call in two clicks, answer
its qualification criteria, convert it, and find the new deal on the board."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from contacts.models import Lead, LeadStatus
from pipeline.models import Opportunity, StageChange, StageKind, Touchpoint
from tests.browser.test_deal_panel import watch_console
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    PipelineFactory,
    QualificationCriterionFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sales_setup():
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    alice.team = TeamFactory(name="North")
    alice.save(update_fields=["team"])
    pipeline = PipelineFactory(name="New business")
    first = StageFactory(pipeline=pipeline, name="Contact made", position=1)
    StageFactory(pipeline=pipeline, name="Offer", position=2)
    StageFactory(pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON)
    StageFactory(pipeline=pipeline, name="Lost", position=4, probability=0, kind=StageKind.LOST)
    QualificationCriterionFactory(question="Is there a budget?", weight=50, position=1)
    QualificationCriterionFactory(question="Do they need it this year?", weight=50, position=2)
    return {"alice": alice, "pipeline": pipeline, "first_stage": first}


def test_create_call_qualify_convert_and_find_the_deal(
    page: Page, live_server, sales_setup, screenshot
):
    alice, pipeline = sales_setup["alice"], sales_setup["pipeline"]
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)

    # Given Alice on the lead list, when she creates a lead
    page.goto(live_server.url + reverse("contacts:lead_list"))
    page.get_by_role("link", name="New lead").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@analytical.example")
    page.get_by_label("Company", exact=True).fill("Analytical Engines")
    page.get_by_role("button", name="Create lead").click()

    # Then she is on its page, which says nobody has contacted it yet
    expect(page.get_by_role("heading", name=re.compile("Ada Lovelace"))).to_be_visible()
    lead = Lead.objects.get(email="ada@analytical.example")
    assert lead.owner == alice
    expect(page.locator("#lead-speed")).to_contain_text("not contacted yet")

    # When she logs a call in two clicks: the kind, then "Log it"
    quick_log = page.locator(f"#lead-{lead.pk}-quick-log")
    quick_log.get_by_text("Log Call").click()
    quick_log.get_by_role("button", name="Log it").click()

    # Then the timeline, the cadence and speed to lead follow without a reload
    expect(quick_log.get_by_role("status")).to_contain_text("Call logged.")
    expect(page.locator("#lead-timeline")).to_contain_text("Call")
    expect(page.locator("#lead-cadence")).to_contain_text("1 of 5")
    expect(page.locator("#lead-speed")).to_contain_text("first contact after")
    assert Touchpoint.objects.filter(lead=lead, kind="call", by=alice).count() == 1

    # When she answers both criteria with yes, each answer saves as she clicks
    expect(page.locator("#lead-convert")).to_have_count(0)
    page.get_by_role("group", name="Is there a budget?").get_by_text("Yes").click()
    expect(page.locator("#lead-score")).to_contain_text("50 of 100")
    page.get_by_role("group", name="Do they need it this year?").get_by_text("Yes").click()

    # Then the lead qualifies and the convert button appears
    expect(page.locator("#lead-score")).to_contain_text("100 of 100")
    expect(page.locator("#lead-status")).to_contain_text("Qualified")
    screenshot("qualified")
    page.locator("#lead-convert").click()

    # When she converts it into a deal in the New business pipeline
    page.get_by_label("Pipeline").select_option(label="New business")
    page.get_by_label("Deal title").fill("Analytical Engines pilot")
    page.get_by_label("Value").fill("12500")
    page.get_by_role("button", name="Convert").click()

    # Then she lands on the board, the deal heads the first column, and history came along
    expect(page).to_have_url(re.compile(reverse("pipeline:board", args=[pipeline.pk])))
    first_column = page.locator(f"#column-{sales_setup['first_stage'].pk}")
    expect(first_column).to_contain_text("Analytical Engines pilot")
    screenshot("on-the-board")
    deal = Opportunity.objects.get(title="Analytical Engines pilot")
    assert deal.stage == sales_setup["first_stage"]
    assert StageChange.objects.filter(opportunity=deal, from_stage=None).exists()
    assert Touchpoint.objects.get(lead=lead).opportunity == deal
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert not [error for error in errors if "CSP" in error or "page error" in error], errors
