"""Editing a deal's value in the board's side panel: the column header follows; Escape
cancels and leaves the value as it was."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pipeline.models import DealChange, Opportunity
from tests.browser.test_deal_panel import watch_console
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board():
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    pipeline = PipelineFactory(name="New business")
    offer = StageFactory(pipeline=pipeline, name="Offer", position=1, probability=50)
    OpportunityFactory(owner=alice, stage=offer, title="Other deal", value=Decimal("500.00"))
    deal = OpportunityFactory(
        owner=alice,
        stage=offer,
        title="Acme rollout",
        value=Decimal("10000.00"),
        currency="EUR",
        position=1,
    )
    return {"deal": deal, "pipeline": pipeline, "offer": offer}


def test_value_edited_in_the_panel_moves_the_column_total_and_escape_cancels(
    page: Page, live_server, board, artifacts_dir
):
    deal, offer = board["deal"], board["offer"]
    Opportunity.objects.exclude(pk=deal.pk).update(currency="EUR")
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:board", args=[board["pipeline"].pk]))
    header = page.locator(f"#column-{offer.pk}-header")
    expect(header).to_contain_text("10,500 EUR")

    # Given the deal's panel is open
    page.locator(f"#card-{deal.pk}-title").click()
    panel = page.locator("#deal-panel-offcanvas")
    value = panel.locator(f"#deal-{deal.pk}-part-value")
    expect(value).to_contain_text("10,000 EUR")

    # When Alice clicks the value, types a new one and presses Enter
    value.locator("[data-editable='value']").click()
    amount = value.get_by_label("Value")
    expect(amount).to_be_focused()
    amount.fill("12000")
    page.screenshot(path=artifacts_dir / "deal-edit-in-place.png", caret="initial")
    amount.press("Enter")

    # Then the panel, the card and the column header show it without a reload
    expect(panel.locator(f"#deal-{deal.pk}-part-value")).to_contain_text("12,000 EUR")
    expect(page.locator(f"#deal-{deal.pk} .deal-card-value")).to_contain_text("12,000 EUR")
    expect(header).to_contain_text("12,500 EUR")
    expect(header).to_contain_text("weighted 6,250 EUR")
    assert DealChange.objects.get(opportunity=deal, field="value").new_value == "12000"
    history = panel.locator(f"#deal-{deal.pk}-history")
    expect(history).to_contain_text("Alice Archer changed Value from 10,000.00 EUR to 12,000.00")
    page.screenshot(path=artifacts_dir / "deal-edit-saved.png", caret="initial")

    # When she opens the value again, types, and presses Escape
    value = panel.locator(f"#deal-{deal.pk}-part-value")
    value.locator("[data-editable='value']").click()
    amount = value.get_by_label("Value")
    expect(amount).to_be_focused()
    amount.fill("99")
    amount.press("Escape")

    # Then the value is as it was, nothing saved, and the panel is still open
    expect(value.locator("[data-editable='value']")).to_contain_text("12,000 EUR")
    expect(panel).to_be_visible()
    deal.refresh_from_db()
    assert deal.value == Decimal("12000")
    assert errors == []


def test_second_editor_at_the_same_version_is_told_who_was_first(
    page: Page, live_server, board, new_context
):
    deal = board["deal"]
    alice = deal.owner
    manager = UserFactory(username="maria", first_name="Maria", last_name="Manager")
    manager.role = "manager"
    manager.save(update_fields=["role"])
    team = TeamFactory(name="North", manager=manager)
    alice.team = team
    alice.save(update_fields=["team"])
    detail = live_server.url + reverse("pipeline:deal_detail", args=[deal.pk])

    # Given Alice and Maria both have the deal's page open at the same version
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(detail)
    other = new_context().new_page()
    submit_login(other, live_server.url, username="maria", password=PASSWORD)
    other.goto(detail)
    for each in (page, other):
        each.locator(f"#deal-{deal.pk}-part-value [data-editable='value']").click()
        expect(each.get_by_label("Value")).to_be_focused()

    # When Maria saves first, then Alice
    other.get_by_label("Value").fill("11000")
    other.get_by_label("Value").press("Enter")
    expect(other.locator(f"#deal-{deal.pk}-part-value")).to_contain_text("11,000 EUR")
    page.get_by_label("Value").fill("12000")
    page.get_by_label("Value").press("Enter")

    # Then Alice is told Maria changed it first, and sees Maria's value
    summary = page.locator(f"#deal-{deal.pk}-summary")
    expect(summary.get_by_role("alert")).to_contain_text("Maria Manager changed this deal first")
    expect(summary.locator(f"#deal-{deal.pk}-part-value")).to_contain_text("11,000 EUR")
    deal.refresh_from_db()
    assert deal.value == Decimal("11000")
