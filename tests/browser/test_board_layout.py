"""The board's layout in headless Chromium: Won and Lost always in reach, and the phone view."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from pipeline.models import EntryField, Opportunity, OpportunityStatus, Stage, StageKind
from tests.browser.test_board import PASSWORD, card, column_cards, header, open_board
from tests.browser.test_login import submit_login
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
OPEN_STAGES = ["Contact", "Qualification", "Needs analysis", "Demo", "Offer", "Negotiation"]
CARDS_PER_STAGE = 4


@pytest.fixture
def wide_board(people):
    """Six open stages (more than a 1366 px window shows), Won and Lost, four deals in each
    open stage and one recent win: the demo's shape."""
    pipeline = PipelineFactory(name="New business")
    stages = {
        name: StageFactory(pipeline=pipeline, name=name, position=n, probability=10 * n)
        for n, name in enumerate(OPEN_STAGES, start=1)
    }
    stages["Won"] = StageFactory(
        pipeline=pipeline, name="Won", position=7, probability=100, kind=StageKind.WON
    )
    stages["Lost"] = StageFactory(
        pipeline=pipeline, name="Lost", position=8, probability=0, kind=StageKind.LOST
    )
    alice = people["alice"]
    company = CompanyFactory(owner=alice, name="Nordlicht GmbH")
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"{name} deal {n}",
            company=company,
            owner=alice,
            pipeline=pipeline,
            stage=stages[name],
            value=Decimal("1000.00"),
            expected_close_date=dt.date(2027, 3, 31),
            position=n * 65536,
        )
        for name in OPEN_STAGES
        for n in range(1, CARDS_PER_STAGE + 1)
    )
    OpportunityFactory(
        title="Last week's win",
        owner=alice,
        company=company,
        stage=stages["Won"],
        status=OpportunityStatus.WON,
        closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=7),
    )
    first = Opportunity.objects.get(title="Contact deal 1")
    last = Opportunity.objects.get(title="Negotiation deal 1")
    return {"pipeline": pipeline, "stages": stages, "first": first, "last": last}


def target(page: Page, stage) -> Locator:
    """A closed stage's drop target in the bar at the bottom of the window."""
    return page.locator(f"#board-outcomes #column-{stage.pk}")


def watch_sideways_scrolling(page: Page) -> None:
    """Remember whether the window or any element inside it ever scrolled sideways."""
    page.evaluate(
        """() => {
          window.scrolledSideways = false;
          document.addEventListener("scroll", (event) => {
            const element = event.target === document ? document.scrollingElement : event.target;
            if (element.scrollLeft !== 0 || window.scrollX !== 0) {
              window.scrolledSideways = true;
            }
          }, true);
        }"""
    )


def in_viewport(page: Page, locator: Locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def drag_onto(page: Page, source: Locator, destination: Locator) -> None:
    """Drag with real mouse steps (SortableJS follows pointer events), dropped on the middle
    of ``destination``."""
    start = source.bounding_box()
    end = destination.bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 12, start["y"] + 24, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=20)
    page.mouse.up()


def is_move(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/move/")


def test_a_deal_is_dragged_to_won_at_1366_without_scrolling_sideways(
    page: Page, live_server, wide_board, screenshot
):
    stages, deal = wide_board["stages"], wide_board["first"]
    page.set_viewport_size(DESKTOP)
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])
    # The six open columns are wider than the window: the board scrolls, the page does not.
    board_width = page.locator("#board").evaluate("board => board.scrollWidth")
    assert board_width > DESKTOP["width"]
    # The filters are open on a wide screen, and the keyboard is explained.
    expect(page.get_by_label("Search")).to_be_visible()
    expect(page.locator(".board-filters-toggle")).to_be_hidden()
    expect(page.locator("#board-keyboard-help")).to_be_visible()
    won = target(page, stages["Won"])
    expect(won).to_be_visible()
    assert in_viewport(page, won)
    watch_sideways_scrolling(page)

    # When alice drags the first card of the first column onto the Won target
    with page.expect_response(is_move) as answer:
        drag_onto(page, card(page, deal), won.locator(".board-cards"))

    # Then the move is saved, and the card has left its column for Won's
    assert answer.value.status == 200
    expect(page.locator("#board-status")).to_contain_text(f"Moved “{deal.title}” to Won.")
    expect(column_cards(page, stages["Contact"]).locator(f"#deal-{deal.pk}")).to_have_count(0)
    expect(column_cards(page, stages["Won"]).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(header(page, stages["Won"]).locator(".board-column-count")).to_contain_text("2")
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == (stages["Won"], OpportunityStatus.WON)
    # ...and nothing scrolled sideways on the way
    assert page.evaluate("window.scrollX") == 0
    assert page.locator("#board").evaluate("board => board.scrollLeft") == 0
    assert page.evaluate("window.scrolledSideways") is False
    screenshot("won")
    assert watch.violations == []


def test_dropping_a_deal_on_lost_asks_for_the_reason(page: Page, live_server, wide_board):
    stages, deal = wide_board["stages"], wide_board["first"]
    page.set_viewport_size(DESKTOP)
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])

    drag_onto(page, card(page, deal), target(page, stages["Lost"]).locator(".board-cards"))

    dialog = page.locator("#board-dialog")
    reason = dialog.get_by_label("Why was the deal lost?")
    expect(reason).to_be_focused()
    # Until the reason is given the card is back in its column
    expect(column_cards(page, stages["Contact"]).locator(f"#deal-{deal.pk}")).to_be_visible()
    reason.fill("Chose a competitor")
    dialog.get_by_role("button", name="Mark as lost").click()

    expect(dialog).to_be_hidden()
    expect(column_cards(page, stages["Lost"]).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(column_cards(page, stages["Contact"]).locator(f"#deal-{deal.pk}")).to_have_count(0)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == (OpportunityStatus.LOST, "Chose a competitor")
    assert watch.violations == []


def test_dropping_on_won_checks_its_entry_criteria_first(page: Page, live_server, wide_board):
    stages, deal = wide_board["stages"], wide_board["first"]
    Stage.objects.filter(pk=stages["Won"].pk).update(entry_fields=[EntryField.CONTACT])
    page.set_viewport_size(DESKTOP)
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])

    drag_onto(page, card(page, deal), target(page, stages["Won"]).locator(".board-cards"))

    # The deal has no contact: the dialog asks for one, and the card stays where it was
    dialog = page.locator("#board-dialog")
    expect(dialog).to_contain_text("Won needs:")
    expect(dialog).to_contain_text("Contact")
    expect(column_cards(page, stages["Contact"]).locator(f"#deal-{deal.pk}")).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == (stages["Contact"], OpportunityStatus.OPEN)
    assert watch.violations == []


def test_the_keyboard_reaches_won_and_opens_the_recent_outcomes(
    page: Page, live_server, wide_board
):
    stages, deal = wide_board["stages"], wide_board["last"]
    page.set_viewport_size(DESKTOP)
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])
    recent_win = column_cards(page, stages["Won"]).get_by_text("Last week's win", exact=True)
    expect(recent_win).to_be_hidden()

    # Alt+Right from the last open stage
    card(page, deal).focus()
    page.keyboard.press("Alt+ArrowRight")

    # The deal is won, shown among the recent outcomes (opened for it), and still focused
    moved = column_cards(page, stages["Won"]).locator(f"#deal-{deal.pk}")
    expect(moved).to_have_attribute("data-version", "2")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    expect(recent_win).to_be_visible()
    assert Opportunity.objects.get(pk=deal.pk).status == OpportunityStatus.WON
    assert watch.violations == []


def test_recent_outcomes_open_on_click_and_stay_open_when_the_board_is_redrawn(
    page: Page, live_server, wide_board
):
    stages = wide_board["stages"]
    page.set_viewport_size(DESKTOP)
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])
    recent_win = column_cards(page, stages["Won"]).get_by_text("Last week's win", exact=True)
    expect(recent_win).to_be_hidden()

    page.get_by_text("Recent outcomes").click()

    expect(recent_win).to_be_visible()
    expect(page.locator("#board-outcomes-open")).to_be_checked()
    # A change elsewhere comes in by the poll, as that one card; the outcomes stay open.
    page.evaluate("document.getElementById('board').dataset.redrawn = 'no'")
    Opportunity.objects.filter(pk=wide_board["first"].pk).update(
        title="Renamed elsewhere", version=F("version") + 1, updated_at=timezone.now()
    )
    expect(page.get_by_role("link", name="Renamed elsewhere")).to_be_visible()
    expect(page.locator("#board[data-redrawn]")).to_have_count(1)
    expect(recent_win).to_be_visible()
    # So they do when the whole board is redrawn (as after a conflict).
    page.evaluate("document.dispatchEvent(new Event('boardRefresh'))")
    expect(page.locator("#board[data-redrawn]")).to_have_count(0)
    expect(recent_win).to_be_visible()

    page.get_by_text("Recent outcomes").click()
    expect(recent_win).to_be_hidden()
    assert watch.violations == []


def test_a_phone_shows_cards_first_and_the_filters_behind_a_button(
    new_context, live_server, wide_board, artifacts_dir
):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])

    # The first card starts on the first screen; the filters and keyboard help are out of the way
    first = page.locator("#board .board-column .deal-card").first
    box = first.bounding_box()
    assert box is not None
    assert box["y"] < 400
    expect(page.locator("#board-keyboard-help")).to_be_hidden()
    search = page.get_by_label("Search")
    expect(search).to_be_hidden()
    # Won and Lost are at hand at the bottom of the screen
    assert in_viewport(page, target(page, wide_board["stages"]["Won"]))
    assert in_viewport(page, target(page, wide_board["stages"]["Lost"]))
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    page.screenshot(path=artifacts_dir / "board-phone.png")

    # The "Filters" button opens them, and they filter the board
    page.locator("summary", has_text="Filters").click()
    expect(search).to_be_visible()
    search.fill("Negotiation deal 2")
    expect(page.locator("#board .deal-card:not(.is-closed)")).to_have_count(1)
    # ...and the button says so once they are folded away again
    expect(page.locator("#board-filters-toggle .badge")).to_have_text("on")
    page.locator("#board-filters-toggle").click()
    expect(search).to_be_hidden()
    assert watch.violations == []


def test_a_phone_drags_a_deal_onto_won_with_a_finger(new_context, live_server, wide_board):
    stages, deal = wide_board["stages"], wide_board["first"]
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    watch = open_board(page, live_server.url, "alice", wide_board["pipeline"])
    touchscreen = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        touchscreen.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    start = card(page, deal).bounding_box()
    end = target(page, stages["Won"]).bounding_box()
    assert start is not None
    assert end is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_x, to_y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2

    # A finger held on the card picks it up (after SortableJS's touch delay), then drags it
    touch("touchStart", x, y)
    expect(card(page, deal)).to_have_class(re.compile(r"\bis-drag-chosen\b"))
    with page.expect_response(is_move) as answer:
        for step in range(1, 21):
            touch("touchMove", x + (to_x - x) * step / 20, y + (to_y - y) * step / 20)
        touch("touchEnd", to_x, to_y)

    assert answer.value.status == 200
    expect(column_cards(page, stages["Won"]).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(column_cards(page, stages["Contact"]).locator(f"#deal-{deal.pk}")).to_have_count(0)
    assert Opportunity.objects.get(pk=deal.pk).status == OpportunityStatus.WON
    assert watch.violations == []


def test_the_outcomes_and_the_filters_open_without_javascript(new_context, live_server, wide_board):
    stages = wide_board["stages"]
    url = f"{live_server.url}/pipelines/{wide_board['pipeline'].pk}/board/"
    desktop = new_context(java_script_enabled=False, viewport=DESKTOP).new_page()
    submit_login(desktop, live_server.url, username="alice", password=PASSWORD)
    desktop.goto(url)
    recent_win = column_cards(desktop, stages["Won"]).get_by_text("Last week's win", exact=True)
    expect(recent_win).to_be_hidden()

    desktop.get_by_text("Recent outcomes").click()

    expect(recent_win).to_be_visible()

    phone = new_context(
        java_script_enabled=False, viewport=PHONE, is_mobile=True, has_touch=True
    ).new_page()
    submit_login(phone, live_server.url, username="alice", password=PASSWORD)
    phone.goto(url)
    search = phone.get_by_label("Search")
    expect(search).to_be_hidden()

    phone.locator("summary", has_text="Filters").click()

    expect(search).to_be_visible()
