"""The board when its answers cross: a redraw of the board lands while a move is on its way.

A poll sent just before a keyboard move may answer after the move was sent, with a board
drawn before the move. Playwright holds the poll's and the move's requests and lets them go
in that order, so the race that a loaded machine runs into now and then happens every time.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from pipeline.models import Opportunity, StageKind
from tests.browser.test_board import card, column_cards, open_board
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    StageFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL = re.compile(r"/board/changes/")
MOVE = re.compile(r"/deals/\d+/move/")
# Counts the answers htmx has handled, by path, for the test to wait on.
COUNT_ANSWERS = """
window.boardAnswers = [];
document.addEventListener("htmx:afterRequest", (event) => {
  window.boardAnswers.push(event.detail.requestConfig.path);
});
"""


@pytest.fixture
def sales_board(people):
    alice, maria = people["alice"], people["maria"]
    pipeline = PipelineFactory(name="New business")
    stages = {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2),
        "negotiation": StageFactory(pipeline=pipeline, name="Negotiation", position=3),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=4, probability=100, kind=StageKind.WON
        ),
    }
    deals = {
        name: OpportunityFactory(
            title=title,
            owner=alice,
            stage=stages[stage],
            value=Decimal("5000.00"),
            expected_close_date=dt.date(2027, 3, 31),
            position=65536,
        )
        for name, title, stage in [
            ("rollout", "Rollout", "qualification"),
            ("existing", "Existing offer", "offer"),
        ]
    }
    return {"pipeline": pipeline, "stages": stages, "deals": deals, "maria": maria}


class HeldRequests:
    """The board's polls and moves, held by Playwright until the test lets each one go."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.polls: list[Route] = []
        self.moves: list[Route] = []
        page.add_init_script(COUNT_ANSWERS)
        page.route(POLL, self._hold_poll)
        page.route(MOVE, self._hold_move)

    def _hold_poll(self, route: Route) -> None:
        self.polls.append(route)

    def _hold_move(self, route: Route) -> None:
        self.moves.append(route)

    def _settle_events(self) -> None:
        # Playwright hands a held request to Python right after announcing it: one round trip
        # more and every request the page has sent so far is in the lists.
        self.page.evaluate("0")

    def wait_for_poll(self) -> None:
        """Until the board has sent a poll (every 3 s), now held."""
        self._settle_events()
        if not self.polls:
            with self.page.expect_request(POLL):
                pass
            self._settle_events()
        assert self.polls

    def press_and_hold_move(self, key: str) -> None:
        """Press ``key`` on the focused card; the move it sends is held."""
        with self.page.expect_request(MOVE):
            self.page.keyboard.press(key)
        self._settle_events()
        assert self.moves

    def answer_poll(self) -> None:
        """Let the held poll go on, and wait until htmx has handled its answer."""
        answered = self.page.evaluate(
            "(pattern) => window.boardAnswers.filter((path) => new RegExp(pattern).test(path))"
            ".length",
            POLL.pattern,
        )
        self.polls.pop(0).continue_()
        self.page.wait_for_function(
            "([pattern, count]) => window.boardAnswers"
            ".filter((path) => new RegExp(pattern).test(path)).length > count",
            arg=[POLL.pattern, answered],
        )

    def answer_move(self) -> None:
        """Let the held move go on, until its answer reaches the page."""
        with self.page.expect_response(MOVE):
            self.moves.pop(0).continue_()

    def release(self) -> None:
        """Stop holding: later requests go straight through."""
        self.page.unroute(POLL)
        self.page.unroute(MOVE)
        for route in self.polls + self.moves:
            route.continue_()
        self.polls.clear()
        self.moves.clear()


def no_card_saving(page: Page) -> None:
    expect(page.locator(".deal-card.is-saving, .deal-card[aria-busy]")).to_have_count(0)


def test_a_keyboard_move_refused_while_a_poll_redraws_the_board_leaves_it_usable(
    page: Page, live_server, sales_board
):
    stages, rollout = sales_board["stages"], sales_board["deals"]["rollout"]
    held = HeldRequests(page)
    watch = open_board(page, live_server.url, "alice", sales_board["pipeline"])
    # Given Maria moved Rollout to Negotiation behind Alice's back (so the next poll redraws
    # the board, and Alice's board still shows the old version), and a poll is on its way
    Opportunity.objects.filter(pk=rollout.pk).update(
        version=F("version") + 1,
        stage=stages["negotiation"],
        updated_by=sales_board["maria"],
        updated_at=timezone.now(),
    )
    held.wait_for_poll()

    # When Alice moves Rollout with the keyboard, and the poll answers before the move does
    card(page, rollout).focus()
    held.press_and_hold_move("Alt+ArrowRight")
    held.answer_poll()
    held.answer_move()
    held.release()

    # Then she is told who moved it first, the board shows where it is, nothing is saving
    expect(page.locator("#board-status")).to_contain_text(
        "Maria Rossi moved this deal first; it is now in Negotiation."
    )
    moved = column_cards(page, stages["negotiation"]).locator(f"#deal-{rollout.pk}")
    expect(moved).to_have_attribute("data-version", "2")
    no_card_saving(page)
    # ...and the keyboard still moves cards
    moved.focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("#board-status")).to_contain_text("Moved “Rollout” to Won.")
    expect(column_cards(page, stages["won"]).locator(f"#deal-{rollout.pk}")).to_have_attribute(
        "data-version", "3"
    )
    no_card_saving(page)
    assert watch.violations == []


def test_a_keyboard_move_saved_while_a_poll_redraws_the_board_shows_as_saved(
    page: Page, live_server, sales_board
):
    stages, deals = sales_board["stages"], sales_board["deals"]
    rollout = deals["rollout"]
    held = HeldRequests(page)
    watch = open_board(page, live_server.url, "alice", sales_board["pipeline"])
    # Given another deal changed behind Alice's back, and a poll is on its way
    Opportunity.objects.filter(pk=deals["existing"].pk).update(
        title="Existing offer, revised", updated_at=timezone.now()
    )
    held.wait_for_poll()

    # When Alice moves Rollout to Offer with the keyboard, and the poll answers first
    card(page, rollout).focus()
    held.press_and_hold_move("Alt+ArrowRight")
    held.answer_poll()
    held.answer_move()
    held.release()

    # Then the move shows as saved, and the board catches up with the other change
    expect(page.locator("#board-status")).to_contain_text("Moved “Rollout” to Offer.")
    offer = column_cards(page, stages["offer"])
    expect(offer.locator(f"#deal-{rollout.pk}")).to_have_attribute("data-version", "2")
    expect(offer).to_contain_text("Existing offer, revised")
    expect(page.locator("#board-status")).not_to_contain_text("could not be saved")
    no_card_saving(page)
    assert Opportunity.objects.get(pk=rollout.pk).stage == stages["offer"]
    assert watch.violations == []


def test_a_keyboard_move_answered_after_the_filters_redrew_the_board_shows_as_saved(
    page: Page, live_server, sales_board
):
    stages, rollout = sales_board["stages"], sales_board["deals"]["rollout"]
    held = HeldRequests(page)
    watch = open_board(page, live_server.url, "alice", sales_board["pipeline"])

    # When Alice moves Rollout with the keyboard and, before the move is answered, filters
    # the board: the filtered board replaces the card the move was sent for
    card(page, rollout).focus()
    held.press_and_hold_move("Alt+ArrowRight")
    filtered = page.get_by_label("Search")
    with page.expect_response(re.compile(r"/board/\?(.*&)?q=Roll")):
        filtered.fill("Roll")
    expect(page.locator("#board")).not_to_contain_text("Existing offer")
    held.answer_move()
    held.release()

    # Then the move shows as saved on the card the board shows now
    expect(page.locator("#board-status")).to_contain_text("Moved “Rollout” to Offer.")
    offer = column_cards(page, stages["offer"])
    expect(offer.locator(f"#deal-{rollout.pk}")).to_have_attribute("data-version", "2")
    expect(column_cards(page, stages["qualification"]).locator(".deal-card")).to_have_count(0)
    no_card_saving(page)
    assert watch.violations == []


# The dialog fades in for as long as the test needs to answer the move before it is in
# (set through the CSSOM, which the Content-Security-Policy allows), and notes what came first.
SLOW_DIALOG = """
document.addEventListener("show.bs.modal", (event) => {
  event.target.querySelector(".modal-dialog").style.transitionDuration = "8s";
});
document.addEventListener("shown.bs.modal", (event) => {
  event.target.querySelector(".modal-dialog").style.transitionDuration = "";
  window.dialogShown = true;
});
document.addEventListener("dealMoved", () => {
  window.movedBeforeTheDialogWasIn = !window.dialogShown;
});
"""


def test_a_move_answered_while_its_dialog_is_still_fading_in_closes_the_dialog(
    page: Page, live_server, sales_board
):
    stages, rollout = sales_board["stages"], sales_board["deals"]["rollout"]
    lost = StageFactory(
        pipeline=sales_board["pipeline"], name="Lost", position=5, probability=0, kind="lost"
    )
    page.add_init_script(SLOW_DIALOG)
    watch = open_board(page, live_server.url, "alice", sales_board["pipeline"])

    # When Alice marks Rollout lost from its menu and gives the reason with Enter at once
    menu = card(page, rollout).locator(".deal-card-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Lost").click()
    dialog = page.locator("#board-dialog")
    reason = dialog.get_by_label("Why was the deal lost?")
    reason.fill("Chose a competitor")
    reason.press("Enter")

    # Then the deal is lost, and the dialog closes once it has finished opening
    lost_card = column_cards(page, lost).locator(f"#deal-{rollout.pk}")
    expect(lost_card).to_contain_text("Chose a competitor")
    assert page.evaluate("window.movedBeforeTheDialogWasIn") is True
    expect(dialog).to_be_hidden()
    expect(column_cards(page, stages["qualification"]).locator(".deal-card")).to_have_count(0)
    assert watch.violations == []
