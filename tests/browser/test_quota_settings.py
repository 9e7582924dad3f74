"""The quota editor in headless Chromium: a manager sets a rep's quarter, the team's total
follows, and the value is still there after a reload."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from forecasting.models import Quota
from tests.browser.test_login import PASSWORD, submit_login
from tests.browser.test_stage_settings import WATCH_CSP
from tests.factories import QuotaFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/settings/quotas/?year=2026&kind=quarter"


def is_cell_save(response):
    return "/settings/quotas/cell/" in response.url and response.request.method == "POST"


def test_manager_sets_a_reps_quarter_and_the_team_total_follows(
    page: Page, live_server, people, screenshot
):
    # Given North (no quota of its own) with Alice and Bob; Bob's Q3 is 6,000
    alice, maria = people["alice"], people["maria"]
    bob = UserFactory(username="bob", first_name="Bob", last_name="Baker", team=alice.team)
    QuotaFactory(
        user=bob,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        amount=Decimal("6000.00"),
    )
    team = alice.team
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.add_init_script(WATCH_CSP)
    submit_login(page, live_server.url, username=maria.username, password=PASSWORD)
    page.goto(live_server.url + PAGE)
    team_total = page.locator(f"#total-team-{team.pk}")
    expect(team_total).to_have_text("6,000 EUR")

    # When Maria types 4000 into Alice's Q3 and leaves the cell
    cell = page.locator(f"#input-user-{alice.pk}-2026-Q3")
    cell.fill("4000")
    with page.expect_response(is_cell_save) as answer:
        cell.press("Tab")
    assert answer.value.status == 200

    # Then the team's total and its Q3 default follow, once htmx has swapped them in
    expect(team_total).to_have_text("10,000 EUR")
    expect(page.locator(f"#input-team-{team.pk}-2026-Q3")).to_have_attribute(
        "placeholder", "10,000 EUR"
    )
    expect(page.locator(f"#total-user-{alice.pk}")).to_have_text("4,000 EUR")
    assert Quota.objects.get(user=alice).amount == Decimal("4000.00")
    screenshot("saved")

    # And a refused value shows its message in the cell, saving nothing
    cell = page.locator(f"#input-user-{alice.pk}-2026-Q3")
    cell.fill("-5")
    with page.expect_response(is_cell_save) as refused:
        cell.press("Tab")
    assert refused.value.status == 422
    expect(page.locator(f"#error-user-{alice.pk}-2026-Q3")).to_contain_text("cannot be negative")
    assert Quota.objects.get(user=alice).amount == Decimal("4000.00")

    # And after a reload the saved value is still there
    page.reload()
    expect(page.locator(f"#input-user-{alice.pk}-2026-Q3")).to_have_value("4000.00")
    expect(page.locator(f"#total-team-{team.pk}")).to_have_text("10,000 EUR")
    assert [error for error in console_errors if "CSP" in error] == []
