"""The board in headless Chromium: drag and drop, conflicts, the dialog, keyboard, live updates."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import F
from playwright.sync_api import Locator, Page, expect

from pipeline.board import CARDS_PER_COLUMN
from pipeline.models import EntryField, Opportunity, OpportunityStatus, StageChange, StageKind
from pipeline.services import move_opportunity
from tests.browser.test_login import submit_login
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets
POLL = "/board/changes/"


@pytest.fixture
def board(people):
    """Qualification, Offer (needs a value and a close date), Won and Lost; alice's deals."""
    pipeline = PipelineFactory(name="New business")
    stages = {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "offer": StageFactory(
            pipeline=pipeline,
            name="Offer",
            position=2,
            probability=60,
            entry_fields=[EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE],
        ),
        "negotiation": StageFactory(
            pipeline=pipeline, name="Negotiation", position=3, probability=80
        ),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=4, probability=100, kind=StageKind.WON
        ),
        "lost": StageFactory(
            pipeline=pipeline, name="Lost", position=5, probability=0, kind=StageKind.LOST
        ),
    }
    alice = people["alice"]
    deals = {
        "rollout": OpportunityFactory(
            title="Rollout",
            owner=alice,
            stage=stages["qualification"],
            value=Decimal("5000.00"),
            expected_close_date=dt.date(2027, 3, 31),
            position=1 * 65536,
        ),
        "pilot": OpportunityFactory(
            title="Pilot",
            owner=alice,
            stage=stages["qualification"],
            value=Decimal("0.00"),
            expected_close_date=None,
            position=2 * 65536,
        ),
        "existing": OpportunityFactory(
            title="Existing offer",
            owner=alice,
            stage=stages["offer"],
            value=Decimal("1000.00"),
            expected_close_date=dt.date(2027, 1, 31),
            position=1 * 65536,
        ),
    }
    return {"pipeline": pipeline, "stages": stages, "deals": deals}


class CspWatch:
    """Console errors a strict Content-Security-Policy causes, collected while a page lives."""

    def __init__(self, page: Page) -> None:
        self.violations: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.violations.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(message.text)


def open_board(page: Page, base_url: str, username: str, pipeline) -> CspWatch:
    watch = CspWatch(page)
    submit_login(page, base_url, username=username, password=PASSWORD)
    page.goto(f"{base_url}/pipelines/{pipeline.pk}/board/")
    expect(page.locator("#board")).to_be_visible()
    # htmx and SortableJS are deferred scripts: wait until the lists are sortable.
    page.wait_for_function(
        "() => window.Sortable && Sortable.get(document.querySelector('.board-cards'))"
    )
    return watch


def card(page: Page, deal) -> Locator:
    return page.locator(f"#deal-{deal.pk}")


def column_cards(page: Page, stage) -> Locator:
    return page.locator(f"#column-{stage.pk}-cards")


def header(page: Page, stage) -> Locator:
    return page.locator(f"#column-{stage.pk}-header")


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Drag with real mouse steps: SortableJS (fallback mode) follows pointer events."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 12, start["y"] + 24, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 8, steps=15)
    page.mouse.up()


def test_drag_moves_a_deal_updates_totals_and_shows_on_a_second_board(
    page: Page, new_context, live_server, board, people, artifacts_dir: Path
):
    stages, rollout = board["stages"], board["deals"]["rollout"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])
    # A second user, alice's manager, has the same board open in another browser
    maria_page = new_context().new_page()
    maria_watch = open_board(maria_page, live_server.url, "maria", board["pipeline"])
    maria_page.evaluate("window.boardWasNotReloaded = true")
    expect(header(page, stages["offer"])).to_contain_text("1,000 EUR")

    # When alice drags Rollout from Qualification into Offer
    drag(page, card(page, rollout), column_cards(page, stages["offer"]))

    # Then the column totals update, and the card carries its new version
    expect(header(page, stages["offer"])).to_contain_text("6,000 EUR")
    expect(header(page, stages["offer"]).locator(".board-column-count")).to_contain_text("2")
    expect(header(page, stages["qualification"])).to_contain_text("0 EUR")
    expect(column_cards(page, stages["offer"]).locator(f"#deal-{rollout.pk}")).to_have_attribute(
        "data-version", "2"
    )
    expect(page.locator("#board-status")).to_contain_text("Moved “Rollout” to Offer.")
    # ...the database shows the new stage and exactly one StageChange
    rollout.refresh_from_db()
    assert rollout.stage == stages["offer"]
    assert StageChange.objects.filter(opportunity=rollout).count() == 1
    # ...and maria's board, which polls every 3 s, shows the move without a reload
    expect(column_cards(maria_page, stages["offer"]).locator(f"#deal-{rollout.pk}")).to_be_visible()
    expect(header(maria_page, stages["offer"])).to_contain_text("6,000 EUR")
    assert maria_page.evaluate("window.boardWasNotReloaded") is True

    page.screenshot(path=artifacts_dir / "board.png", caret="initial", full_page=True)
    assert watch.violations == []
    assert maria_watch.violations == []


def test_a_teammates_board_receives_only_the_changed_card(page: Page, live_server, board, people):
    stages, deals = board["stages"], board["deals"]
    rollout, pilot = deals["rollout"], deals["pilot"]
    # Given maria's board, every card of it marked: a card drawn again loses the mark
    open_board(page, live_server.url, "maria", board["pipeline"])
    page.evaluate("document.querySelectorAll('.deal-card').forEach((c) => { c.drawn = 1; })")
    answers = []
    page.on("response", lambda answer: answers.append(answer) if POLL in answer.url else None)

    # When alice moves Rollout to Negotiation, and Pilot is handed to another team
    move_opportunity(
        opportunity_id=rollout.pk,
        by=people["alice"],
        to_stage_id=stages["negotiation"].pk,
        version=rollout.version,
    )
    Opportunity.objects.filter(pk=pilot.pk).update(owner=UserFactory(team=TeamFactory()))

    # Then maria's board shows Rollout in Negotiation, and Pilot no more, with new headers
    expect(column_cards(page, stages["negotiation"]).locator(f"#deal-{rollout.pk}")).to_be_visible()
    expect(card(page, pilot)).to_have_count(0)
    expect(header(page, stages["negotiation"])).to_contain_text("5,000 EUR")
    expect(header(page, stages["qualification"]).locator(".board-column-count")).to_have_text(
        re.compile(r"^0")
    )
    # ...while the other cards are the very elements drawn before: only Rollout came again
    redrawn = page.evaluate(
        "[...document.querySelectorAll('.deal-card')].filter((c) => !c.drawn).map((c) => c.id)"
    )
    assert redrawn == [f"deal-{rollout.pk}"]
    assert card(page, deals["existing"]).evaluate("(c) => c.drawn") == 1
    # ...and the answers held that one card, never the board
    bodies = [answer.text() for answer in answers if answer.status == 200]
    assert bodies
    assert sum(body.count('<li class="deal-card') for body in bodies) == 1
    assert not any('id="board"' in body for body in bodies)


def test_conflicting_move_snaps_back_and_names_who_moved_it(page: Page, live_server, board, people):
    stages, rollout = board["stages"], board["deals"]["rollout"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])
    # Behind the page's back, maria moves the deal (a new version the page does not know).
    Opportunity.objects.filter(pk=rollout.pk).update(
        version=F("version") + 1, stage=stages["negotiation"], updated_by=people["maria"]
    )

    drag(page, card(page, rollout), column_cards(page, stages["offer"]))

    expect(page.locator("#board-status")).to_contain_text(
        "Maria Rossi moved this deal first; it is now in Negotiation."
    )
    # The board is redrawn as it really is: the card sits in Negotiation.
    expect(column_cards(page, stages["negotiation"]).locator(f"#deal-{rollout.pk}")).to_be_visible()
    expect(column_cards(page, stages["offer"]).locator(f"#deal-{rollout.pk}")).to_have_count(0)
    rollout.refresh_from_db()
    assert (rollout.stage, rollout.version) == (stages["negotiation"], 2)
    assert not StageChange.objects.exists()
    assert watch.violations == []


def test_unmet_criteria_open_a_dialog_and_the_move_succeeds_once_filled(
    page: Page, live_server, board
):
    stages, pilot = board["stages"], board["deals"]["pilot"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])

    drag(page, card(page, pilot), column_cards(page, stages["offer"]))

    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Offer needs:")
    expect(dialog).to_contain_text("Value")
    expect(dialog).to_contain_text("Expected close date")
    # The card went back to its column until the move succeeds
    expect(column_cards(page, stages["qualification"]).locator(f"#deal-{pilot.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=pilot.pk).stage == stages["qualification"]

    dialog.get_by_label("Value").fill("2500")
    dialog.get_by_label("Expected close date").fill("2027-02-01")
    dialog.get_by_role("button", name="Move").click()

    expect(dialog).to_be_hidden()
    expect(column_cards(page, stages["offer"]).locator(f"#deal-{pilot.pk}")).to_be_visible()
    expect(header(page, stages["offer"])).to_contain_text("3,500 EUR")
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.value, pilot.expected_close_date) == (
        stages["offer"],
        Decimal("2500.00"),
        dt.date(2027, 2, 1),
    )
    assert watch.violations == []


def test_keyboard_moves_a_focused_card_between_and_within_columns(page: Page, live_server, board):
    stages, rollout = board["stages"], board["deals"]["rollout"]
    existing = board["deals"]["existing"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])

    card(page, rollout).focus()
    page.keyboard.press("Alt+ArrowRight")

    moved = column_cards(page, stages["offer"]).locator(f"#deal-{rollout.pk}")
    expect(moved).to_have_attribute("data-version", "2")
    expect(moved).to_be_focused()
    expect(page.locator("#board-status")).to_contain_text("Moved “Rollout” to Offer.")
    assert Opportunity.objects.get(pk=rollout.pk).stage == stages["offer"]

    # It arrived at the top of Offer; Alt+ArrowDown puts it below the existing card.
    page.keyboard.press("Alt+ArrowDown")

    expect(moved).to_have_attribute("data-version", "3")
    ids = (
        column_cards(page, stages["offer"])
        .locator(".deal-card")
        .evaluate_all("cards => cards.map(card => card.id)")
    )
    assert ids == [f"deal-{existing.pk}", f"deal-{rollout.pk}"]
    positions = dict(
        Opportunity.objects.filter(stage=stages["offer"]).values_list("pk", "position")
    )
    assert positions[existing.pk] < positions[rollout.pk]
    assert watch.violations == []


def test_moving_to_lost_from_the_menu_asks_for_a_reason(page: Page, live_server, board):
    stages, rollout = board["stages"], board["deals"]["rollout"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])

    menu = card(page, rollout).locator(".deal-card-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Lost").click()

    dialog = page.locator("#board-dialog")
    expect(dialog).to_contain_text("Mark “Rollout” as lost")
    unmoved = column_cards(page, stages["qualification"]).locator(f"#deal-{rollout.pk}")
    expect(unmoved).to_be_visible()
    # The dialog is open once it has faded in and put the cursor in its field; its text is
    # there before that, while it is still opening.
    reason = dialog.get_by_label("Why was the deal lost?")
    expect(reason).to_be_focused()
    reason.fill("Chose a competitor")
    dialog.get_by_role("button", name="Mark as lost").click()

    expect(dialog).to_be_hidden()
    expect(column_cards(page, stages["lost"]).locator(f"#deal-{rollout.pk}")).to_contain_text(
        "Chose a competitor"
    )
    rollout.refresh_from_db()
    assert (rollout.status, rollout.lost_reason) == (OpportunityStatus.LOST, "Chose a competitor")
    assert watch.violations == []


def test_move_to_menu_works_without_javascript(new_context, live_server, board):
    stages, rollout = board["stages"], board["deals"]["rollout"]
    page = new_context(java_script_enabled=False).new_page()
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(f"{live_server.url}/pipelines/{board['pipeline'].pk}/board/?owner=me")

    # The card's menu leads to the deal's move page, which posts the move
    menu = card(page, rollout).locator(".deal-card-menu")
    menu.locator("summary").click()
    menu.get_by_role("link", name="Choose a stage…").click()
    expect(page.get_by_role("heading", name="Move “Rollout” to…")).to_be_visible()
    page.get_by_role("button", name="Negotiation").click()

    expect(page).to_have_url(re.compile(r"/board/\?owner=me$"))
    expect(page.get_by_text("Moved “Rollout” to Negotiation.")).to_be_visible()
    expect(column_cards(page, stages["negotiation"]).locator(f"#deal-{rollout.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=rollout.pk).stage == stages["negotiation"]


def test_load_more_appends_the_next_cards_of_a_long_column(page: Page, live_server, board):
    stages = board["stages"]
    stage = stages["negotiation"]
    template = board["deals"]["rollout"]
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"Bulk deal {n:03d}",
            company=template.company,
            owner=template.owner,
            pipeline=stage.pipeline,
            stage=stage,
            value=Decimal("10.00"),
            position=n * 65536,
        )
        for n in range(1, CARDS_PER_COLUMN + 6)
    )
    watch = open_board(page, live_server.url, "alice", board["pipeline"])
    cards = column_cards(page, stage).locator(".deal-card")
    expect(cards).to_have_count(CARDS_PER_COLUMN)

    page.locator(f"#column-{stage.pk}-more").get_by_role("button").click()

    expect(cards).to_have_count(CARDS_PER_COLUMN + 5)
    expect(cards.last).to_contain_text(f"Bulk deal {CARDS_PER_COLUMN + 5:03d}")
    expect(page.locator(f"#column-{stage.pk}-more button")).to_have_count(0)
    assert watch.violations == []
