"""The dashboard in headless Chromium, as a manager: change the period and the team, click a
rep's stale count, land on exactly those deals, go back to the dashboard as it was; the
charts are drawn (each canvas reports it) and the Content-Security-Policy is never hit."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from pipeline.models import StageKind
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""
CHARTS = 4  # attainment per seller, pipeline by stage, build, activity


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.add_init_script(WATCH_CSP)
    return errors


@pytest.fixture
def sales(people):
    """Maria manages North (Alice: two stale deals and a fresh one) and South (Sven: one
    stale deal)."""
    maria, alice = people["maria"], people["alice"]
    south = TeamFactory(name="South", manager=maria)
    sven = UserFactory(username="sven", first_name="Sven", last_name="Berg", team=south)
    pipeline = PipelineFactory(name="New business")
    offer = StageFactory(pipeline=pipeline, name="Offer", position=1, probability=40)
    StageFactory(pipeline=pipeline, name="Won", position=2, probability=100, kind=StageKind.WON)
    today = timezone.localdate()
    for title in ("Alice stale one", "Alice stale two"):
        OpportunityFactory(title=title, owner=alice, stage=offer, stale_since=today)
    fresh = OpportunityFactory(title="Alice fresh", owner=alice, stage=offer)
    TouchpointFactory(opportunity=fresh, at=timezone.now())
    OpportunityFactory(title="Sven stale", owner=sven, stage=offer, stale_since=today)
    return {"maria": maria, "alice": alice, "sven": sven, "north": alice.team, "south": south}


def charts_drawn(page: Page) -> None:
    expect(page.locator("canvas.dashboard-chart")).to_have_count(CHARTS)
    expect(page.locator("canvas.dashboard-chart[data-chart-state='drawn']")).to_have_count(CHARTS)


def test_manager_drills_from_a_reps_stale_count_to_those_deals_and_back(
    page: Page, live_server, sales, screenshot
):
    errors = watch_console(page)
    alice, north = sales["alice"], sales["north"]
    submit_login(page, live_server.url, username="maria", password=PASSWORD)

    # Given Maria's dashboard, with both her teams' sellers and every chart drawn
    page.goto(live_server.url + reverse("forecasting:dashboard"))
    coaching = page.locator("#coaching")
    expect(coaching.get_by_role("row", name=re.compile("Sven Berg"))).to_be_visible()
    charts_drawn(page)

    # When she picks another period and the North team
    page.get_by_label("Period", exact=True).fill("2026-Q3")
    page.get_by_label("Team", exact=True).select_option(label="North")
    page.get_by_role("button", name="Show").click()

    # Then the URL holds the pickers, the won card names the period, South is gone
    expect(page).to_have_url(re.compile(r"period=2026-Q3"))
    dashboard_url = page.url
    assert parse_qs(urlsplit(dashboard_url).query)["team"] == [str(north.pk)]
    expect(page.locator("#won-heading")).to_have_text("Won in 2026-Q3 against quota")
    expect(coaching.get_by_role("row", name=re.compile("Sven Berg"))).to_have_count(0)
    charts_drawn(page)
    screenshot("dashboard-north-2026-Q3")

    # When she clicks Alice's stale count
    row = coaching.locator(f"#coaching-{alice.pk}")
    expect(row.locator("a.stale-count")).to_have_text("2")
    row.locator("a.stale-count").click()

    # Then the deals list shows exactly Alice's two stale deals
    expect(page).to_have_url(re.compile(re.escape(reverse("pipeline:deal_list"))))
    titles = page.locator("#deal-table tbody tr a.fw-semibold")
    expect(titles).to_have_count(2)
    assert sorted(titles.all_text_contents()) == ["Alice stale one", "Alice stale two"]
    screenshot("stale-deals-of-alice")

    # And "Back to dashboard" returns to the dashboard as it was
    page.get_by_role("link", name="Back to dashboard").click()
    expect(page).to_have_url(dashboard_url)
    expect(page.get_by_label("Period", exact=True)).to_have_value("2026-Q3")
    expect(page.get_by_label("Team", exact=True)).to_have_value(str(north.pk))
    charts_drawn(page)
    screenshot("dashboard-back")

    assert errors == []


def test_a_rep_sees_their_own_charts_drawn_without_csp_violations(
    page: Page, live_server, sales, screenshot
):
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)

    page.goto(live_server.url + reverse("forecasting:dashboard"))

    # A rep's dashboard: pipeline by stage and activity by week, no team or rep picker
    canvases = page.locator("canvas.dashboard-chart")
    expect(canvases).to_have_count(2)
    expect(page.locator("canvas.dashboard-chart[data-chart-state='drawn']")).to_have_count(2)
    expect(page.get_by_label("Team", exact=True)).to_have_count(0)
    expect(page.locator("#stale-deals a.stale-count")).to_have_text("2")
    expect(page.locator("#pipeline-by-stage tbody tr")).to_have_count(1)
    screenshot("rep-dashboard")

    assert errors == []
