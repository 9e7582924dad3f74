"""The forecast page in headless Chromium: a manager follows a figure to its deals and back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from forecasting.periods import quarter_of
from pipeline.models import ForecastCategory
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import OpportunityFactory, StageFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""


def test_manager_follows_a_commit_figure_to_its_deals_and_back(
    page: Page, live_server, artifacts_dir
):
    # Given Maria's team, where Alice has two commit deals and a best-case one this quarter
    team = TeamFactory(name="North")
    maria = UserFactory(username="maria", role=Role.MANAGER, team=team)
    team.manager = maria
    team.save(update_fields=["manager"])
    alice = UserFactory(username="alice", first_name="Alice", last_name="Able", team=team)
    stage = StageFactory(name="Offer", probability=60)
    quarter = quarter_of(timezone.localdate())
    close = quarter.end - dt.timedelta(days=3)
    for title, category in (
        ("Northwind renewal", ForecastCategory.COMMIT),
        ("Contoso expansion", ForecastCategory.COMMIT),
        ("Fabrikam pilot", ForecastCategory.BEST_CASE),
    ):
        OpportunityFactory(
            owner=alice,
            title=title,
            stage=stage,
            value=Decimal("5000.00"),
            forecast_category=category,
            expected_close_date=close,
        )
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.add_init_script(WATCH_CSP)
    submit_login(page, live_server.url, username="maria", password=PASSWORD)

    # When she opens the forecast and clicks Alice's commit figure
    page.goto(f"{live_server.url}{reverse('forecasting:forecast')}?period={quarter.token}")
    row = page.locator(f"tr[data-key='rep-{alice.pk}']")
    expect(row.locator("td.figure-commit a")).to_have_text("10,000", timeout=15_000)
    page.screenshot(path=str(artifacts_dir / "forecast-manager.png"), full_page=True)
    with page.expect_navigation():
        row.locator("td.figure-commit a").click()

    # Then the deals list shows exactly those two deals, and back returns to the forecast
    titles = page.locator("#deal-table tbody tr td:first-child a")
    expect(titles).to_have_count(2, timeout=15_000)
    assert sorted(titles.all_inner_texts()) == ["Contoso expansion", "Northwind renewal"]
    page.go_back()
    expect(page.locator(f"tr[data-key='rep-{alice.pk}']")).to_be_visible(timeout=15_000)
    assert [error for error in console_errors if "CSP" in error] == []
