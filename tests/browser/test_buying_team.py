"""The buying team in headless Chromium: a rep adds a decision maker from the deal panel,
and the card's "No decision maker" badge goes away without a reload."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pipeline.models import BuyingRole, DealContact, StageKind
from tests.browser.test_deal_panel import watch_console
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(people):
    """Alice's deal in Negotiation, the last of four open stages, with nobody who decides."""
    alice = people["alice"]
    pipeline = PipelineFactory(name="New business")
    stages = [
        StageFactory(pipeline=pipeline, name=name, position=index)
        for index, name in enumerate(["Lead", "Qualified", "Proposal", "Negotiation"], start=1)
    ]
    StageFactory(pipeline=pipeline, name="Won", position=9, probability=100, kind=StageKind.WON)
    deal = OpportunityFactory(
        owner=alice, stage=stages[-1], title="Acme rollout", company__name="Acme Corp"
    )
    ContactFactory(company=deal.company, owner=alice, first_name="Dora", last_name="Diaz")
    ContactFactory(company=deal.company, owner=alice, first_name="Zeno", last_name="Ward")
    return {"alice": alice, "deal": deal, "pipeline": pipeline}


def test_rep_adds_a_decision_maker_in_the_panel_and_the_badge_goes(
    page: Page, live_server, board, artifacts_dir
):
    deal = board["deal"]
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:board", args=[board["pipeline"].pk]))

    # Given a card past the middle of the pipeline with nobody who decides
    card = page.locator(f"#deal-{deal.pk}")
    expect(card.locator(".badge-no-decider")).to_have_text("No decision maker")

    # When Alice opens the panel, finds Dora and adds her as decision maker
    page.locator(f"#card-{deal.pk}-title").click()
    panel = page.locator("#deal-panel-offcanvas")
    team = panel.locator(f"#deal-{deal.pk}-buying-team")
    expect(team).to_contain_text("Nobody on the buying team yet")
    add = team.locator(f"#deal-{deal.pk}-team-add")
    add.get_by_placeholder("Search contacts").fill("dora")
    picker = add.locator(f"#deal-{deal.pk}-team-contact")
    expect(picker.locator("option")).to_have_count(1)
    expect(picker.locator("option")).to_contain_text("Dora Diaz")
    add.get_by_label("Role").select_option(label="Decision maker")
    add.get_by_label("Primary contact").check()
    add.get_by_role("button", name="Add to the team").click()

    # Then she is on the team with her role and the star, and is the deal's contact
    member = team.locator(".deal-team-member")
    expect(member).to_have_count(1)
    expect(member).to_contain_text("Dora Diaz")
    expect(member.locator(".deal-team-role")).to_have_text("Decision maker")
    expect(member.locator(".deal-team-star")).to_have_count(1)
    expect(panel.locator(f"#deal-{deal.pk}-summary")).to_contain_text("Dora Diaz")
    stored = DealContact.objects.select_related("contact", "role").get(opportunity=deal)
    assert (stored.contact.first_name, stored.role, stored.is_primary) == (
        "Dora",
        BuyingRole.objects.get(name="Decision maker"),
        True,
    )

    # And the board redrew the card without the badge
    expect(card.locator(".badge-no-decider")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "buying-team-added.png", caret="initial")
    assert errors == []
