"""The deal side panel in headless Chromium: open it from a card, log a call, add and tick
off tasks without a reload, and close it with the board exactly where it was."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from pipeline.models import StageChange, StageKind, Task, Touchpoint
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Reports what the Content-Security-Policy blocked; injected by Playwright (so not subject to
# the policy itself) and read back from the console.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI);
});
"""
# Narrow enough that the board scrolls sideways, short enough that columns scroll.
VIEWPORT = {"width": 1100, "height": 700}


@pytest.fixture
def board():
    """Alice's deal in Offer (came from Qualification) among enough deals to scroll."""
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer")
    alice.team = TeamFactory(name="North")
    alice.save(update_fields=["team"])
    pipeline = PipelineFactory(name="New business")
    stages = [
        StageFactory(pipeline=pipeline, name=name, position=index, probability=10 + index * 10)
        for index, name in enumerate(
            ["Contact", "Qualification", "Needs analysis", "Offer", "Negotiation"], start=1
        )
    ]
    StageFactory(pipeline=pipeline, name="Won", position=9, probability=100, kind=StageKind.WON)
    qualification, offer = stages[1], stages[3]
    for index in range(12):
        OpportunityFactory(owner=alice, stage=offer, title=f"Filler deal {index}")
    deal = OpportunityFactory(
        owner=alice,
        stage=offer,
        title="Acme rollout",
        company__name="Acme Corp",
        value=Decimal("12500.00"),
        stage_entered_at=timezone.now() - dt.timedelta(days=3),
        position=1,  # first in its column
    )
    StageChange.objects.create(
        opportunity=deal,
        to_stage=qualification,
        by=alice,
        at=timezone.now() - dt.timedelta(days=10),
    )
    StageChange.objects.create(
        opportunity=deal,
        from_stage=qualification,
        to_stage=offer,
        by=alice,
        at=timezone.now() - dt.timedelta(days=3),
    )
    TaskFactory(
        opportunity=deal,
        assignee=alice,
        title="Send the offer",
        due_at=timezone.now() - dt.timedelta(hours=5),
    )
    return {"alice": alice, "deal": deal, "pipeline": pipeline}


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.add_init_script(WATCH_CSP)
    return errors


def scroll_state(page: Page, column_id: str) -> dict:
    return page.evaluate(
        """(columnId) => ({
            window: window.scrollY,
            board: document.querySelector('#board').scrollLeft,
            column: document.querySelector('#' + columnId + ' .board-cards').scrollTop,
        })""",
        column_id,
    )


def back_where_it_was(page: Page, column_id: str, before: dict) -> None:
    """Until the page, the board and the column are scrolled as ``before`` (redraws settle)."""
    page.wait_for_function(
        """([columnId, before]) =>
            window.scrollY === before.window &&
            document.querySelector('#board').scrollLeft === before.board &&
            document.querySelector('#' + columnId + ' .board-cards').scrollTop === before.column""",
        arg=[column_id, before],
    )


def test_card_opens_the_panel_to_log_a_call_add_a_task_and_close_where_it_was(
    page: Page, live_server, board, artifacts_dir
):
    alice, deal = board["alice"], board["deal"]
    errors = watch_console(page)
    page.set_viewport_size(VIEWPORT)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    board_url = live_server.url + reverse("pipeline:board", args=[board["pipeline"].pk])
    page.goto(board_url)
    card = page.locator(f"#deal-{deal.pk}")
    expect(card).to_be_visible()

    # Given a board scrolled sideways to the deal's column
    column_id = f"column-{deal.stage_id}"
    page.locator(f"#{column_id}").scroll_into_view_if_needed()
    before = scroll_state(page, column_id)
    assert before["board"] > 0, "the board should have scrolled sideways"

    # When Alice clicks the card's title
    page.locator(f"#card-{deal.pk}-title").click()

    # Then the side panel shows the deal, its stage history and its tasks
    panel = page.locator("#deal-panel-offcanvas")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name="Acme rollout")).to_be_visible()
    history = panel.locator(f"#deal-{deal.pk}-history")
    expect(history).to_contain_text("Qualification")
    expect(history).to_contain_text("Offer")
    expect(history).to_contain_text("Created in Qualification")
    tasks = panel.locator(f"#deal-{deal.pk}-tasks")
    expect(tasks).to_contain_text("Send the offer")
    expect(tasks.locator(".deal-task.is-overdue")).to_have_count(1)
    expect(page).to_have_url(board_url)

    # When she logs a call with an outcome and a summary: Call is preselected
    quick_log = panel.locator(f"#deal-{deal.pk}-touchpoint-form")
    quick_log.get_by_text("Call", exact=True).click()
    quick_log.get_by_label("Outcome").select_option("connected")
    quick_log.get_by_label("Summary").fill("Agreed on a two-week pilot.")
    quick_log.get_by_role("button", name="Log").click()

    # Then it appears in the panel's touchpoints without a reload, and is stored as hers
    touchpoints = panel.locator(f"#deal-{deal.pk}-touchpoints")
    expect(touchpoints).to_contain_text("Agreed on a two-week pilot.")
    expect(touchpoints).to_contain_text("Connected")
    expect(panel.get_by_role("status").first).to_contain_text("Call logged.")
    expect(panel.locator(f"#deal-{deal.pk}-summary")).not_to_contain_text("never")
    touchpoint = Touchpoint.objects.get(opportunity=deal)
    assert (touchpoint.by, touchpoint.kind, touchpoint.outcome) == (alice, "call", "connected")
    assert touchpoint.summary == "Agreed on a two-week pilot."

    # When she tries to log something in the future, the field says why it was refused
    quick_log = panel.locator(f"#deal-{deal.pk}-touchpoint-form")
    quick_log.get_by_text("Note", exact=True).click()
    quick_log.get_by_label("When").fill("2099-01-01T10:00")
    quick_log.get_by_role("button", name="Log").click()
    expect(quick_log).to_contain_text("When: A touchpoint records something that happened")
    assert Touchpoint.objects.filter(opportunity=deal).count() == 1
    quick_log.get_by_label("When").fill("")

    # When she adds a task
    task_form = panel.locator(f"#deal-{deal.pk}-task-form")
    task_form.get_by_label("Task").fill("Book the pilot kick-off")
    task_form.get_by_role("button", name="Add task").click()

    # Then it is listed and stored, assigned to her
    expect(tasks).to_contain_text("Book the pilot kick-off")
    assert Task.objects.get(title="Book the pilot kick-off").assignee == alice

    # When she ticks off the overdue task, it moves to "Recently done"
    tasks.get_by_role("button", name="Mark “Send the offer” as done").click()
    expect(tasks.locator(".deal-task.is-done")).to_contain_text("Send the offer")
    expect(tasks.locator(".deal-task.is-overdue")).to_have_count(0)
    assert Task.objects.get(title="Send the offer").done_at is not None
    expect(panel.locator(f"#deal-{deal.pk}-summary")).not_to_contain_text("Overdue task")
    page.screenshot(path=artifacts_dir / "deal-panel-open.png", caret="initial")

    # When she closes the panel
    panel.get_by_role("button", name="Close").click()

    # Then the board is where it was: same address, same scroll, the card still there
    expect(panel).to_be_hidden()
    expect(page).to_have_url(board_url)
    expect(card).to_be_visible()
    back_where_it_was(page, column_id, before)
    # ...and the card was redrawn by the board: no overdue badge any more
    expect(card).not_to_contain_text(re.compile("overdue", re.IGNORECASE))
    page.screenshot(path=artifacts_dir / "deal-panel-closed.png", caret="initial")
    # The refused future touchpoint is the one failed request the browser may report.
    assert [error for error in errors if "status of 422" not in error] == []


def test_deal_page_logs_a_note_in_place(page: Page, live_server, board, artifacts_dir):
    deal = board["deal"]
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    url = live_server.url + reverse("pipeline:deal_detail", args=[deal.pk])
    page.goto(url)

    expect(page.get_by_role("heading", level=1, name="Acme rollout")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Back to the New business board"))
    ).to_be_visible()
    form = page.locator(f"#deal-{deal.pk}-touchpoint-form")
    form.get_by_text("Note", exact=True).click()
    # A note has no outcome: the list offers only the empty choice.
    expect(form.get_by_label("Outcome").locator("option:not([hidden])")).to_have_count(1)
    form.get_by_label("Summary").fill("Budget approved by the CFO.")
    form.get_by_role("button", name="Log").click()

    expect(page.locator(f"#deal-{deal.pk}-touchpoints")).to_contain_text("Budget approved")
    expect(page).to_have_url(url)
    assert Touchpoint.objects.get(opportunity=deal).kind == "note"
    page.screenshot(path=artifacts_dir / "deal-page.png", full_page=True, caret="initial")
    assert errors == []
