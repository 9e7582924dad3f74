"""The stage editor in headless Chromium: drag to reorder, keyboard arrows, inline rename,
and deleting a stage that holds a deal."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import Role
from pipeline.models import Opportunity, Stage, StageChange, StageKind
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import OpportunityFactory, PipelineFactory, StageFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Reports what the Content-Security-Policy blocked on every page the test opens; injected by
# Playwright (so not subject to the policy itself), and read back from the console.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""


def open_stage_names(pipeline):
    return list(
        Stage.objects.in_use()
        .filter(pipeline=pipeline, kind=StageKind.OPEN)
        .order_by("position")
        .values_list("name", flat=True)
    )


def shown_open_stage_names(page: Page):
    return page.locator("#open-stages .stage-name")


def test_admin_reorders_renames_and_deletes_stages(page: Page, live_server, artifacts_dir):
    # Given an admin and a pipeline whose Proposal stage holds one deal
    UserFactory(username="ada", role=Role.ADMIN)
    pipeline = PipelineFactory(name="New business")
    qualification = StageFactory(pipeline=pipeline, name="Qualification", position=1)
    proposal = StageFactory(pipeline=pipeline, name="Proposal", position=2, probability=60)
    negotiation = StageFactory(pipeline=pipeline, name="Negotiation", position=3, probability=80)
    StageFactory(
        pipeline=pipeline,
        name="Won",
        position=4,
        probability=100,
        rotting_days=None,
        kind=StageKind.WON,
    )
    StageFactory(
        pipeline=pipeline,
        name="Lost",
        position=5,
        probability=0,
        rotting_days=None,
        kind=StageKind.LOST,
    )
    deal = OpportunityFactory(stage=proposal, title="Acme rollout")
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.add_init_script(WATCH_CSP)
    submit_login(page, live_server.url, username="ada", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:pipeline_settings", args=[pipeline.pk]))
    expect(page.get_by_role("heading", name="Stages", exact=True)).to_be_visible()

    # When Negotiation is dragged by its handle above Qualification
    handle = page.locator(f"#stage-{negotiation.pk} .stage-drag-handle")
    handle.drag_to(page.locator(f"#stage-{qualification.pk}"), target_position={"x": 40, "y": 5})

    # Then the editor confirms, and the database has the new order
    expect(page.locator("#stage-editor [role=status]")).to_contain_text("Stage order saved.")
    expect(shown_open_stage_names(page)).to_have_text(["Negotiation", "Qualification", "Proposal"])
    assert open_stage_names(pipeline) == ["Negotiation", "Qualification", "Proposal"]

    # When Qualification is moved down with the keyboard, focus stays on its arrow (the
    # confirmation is still there from the drag: the order itself says the move is done)
    page.get_by_role("button", name="Move Qualification down").focus()
    page.keyboard.press("Enter")
    expect(shown_open_stage_names(page)).to_have_text(["Negotiation", "Proposal", "Qualification"])
    expect(page.get_by_role("button", name="Move Qualification up")).to_be_focused()
    assert open_stage_names(pipeline) == ["Negotiation", "Proposal", "Qualification"]

    # When Qualification is renamed inline
    page.get_by_role("link", name="Edit Qualification").click()
    name_input = page.locator(f"#stage-{qualification.pk} input[name$='-name']")
    expect(name_input).to_be_focused()
    name_input.fill("Discovery")
    page.locator(f"#stage-{qualification.pk}").get_by_role("button", name="Save").click()

    # Then the row shows the new name without a page load, and so does the database
    expect(page.locator(f"#stage-{qualification.pk} .stage-name")).to_have_text("Discovery")
    expect(page.get_by_role("link", name="Edit Discovery")).to_be_focused()
    qualification.refresh_from_db()
    assert qualification.name == "Discovery"

    # When Proposal, which holds a deal, is deleted
    page.get_by_role("link", name="Delete Proposal").click()

    # Then the admin is asked where its deal goes
    expect(page.get_by_text("This stage holds 1 deal.")).to_be_visible()
    target = page.get_by_label("Move its deals to")
    target.select_option(label="Discovery")
    page.screenshot(
        path=artifacts_dir / "test_stage_settings-delete-asks-where.png",
        full_page=True,
        caret="initial",
    )
    page.get_by_role("button", name="Delete stage").click()

    # and after confirming, the deal is in Discovery and Proposal is gone from the editor
    expect(
        page.get_by_text(re.compile(r"Stage Proposal removed; its deal is now in Discovery"))
    ).to_be_visible()
    expect(shown_open_stage_names(page)).to_have_text(["Negotiation", "Discovery"])
    deal.refresh_from_db()
    assert deal.stage_id == qualification.pk
    assert StageChange.objects.filter(opportunity=deal, from_stage=proposal).count() == 1
    assert Opportunity.objects.filter(stage=proposal).count() == 0
    page.screenshot(
        path=artifacts_dir / "test_stage_settings-editor.png", full_page=True, caret="initial"
    )

    assert [
        text for text in console_errors if "CSP violation" in text or "Content Security" in text
    ] == []
