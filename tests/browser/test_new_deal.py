"""Creating a deal from the board's dialog in headless Chromium."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from pipeline.models import EntryField, Opportunity, StageKind
from tests.browser.test_board import column_cards, header, open_board
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(people):
    """Qualification, and Offer (needs a value and a close date) holding one deal of 1,000."""
    pipeline = PipelineFactory(name="New business")
    stages = {
        "qualification": StageFactory(pipeline=pipeline, name="Qualification", position=1),
        "offer": StageFactory(
            pipeline=pipeline,
            name="Offer",
            position=2,
            probability=60,
            entry_fields=[EntryField.VALUE, EntryField.EXPECTED_CLOSE_DATE],
        ),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }
    OpportunityFactory(
        title="Existing offer",
        owner=people["alice"],
        stage=stages["offer"],
        value=Decimal("1000.00"),
        currency="EUR",
        expected_close_date=dt.date(2027, 1, 31),
    )
    company = CompanyFactory(name="Northwind Traders", owner=people["alice"])
    return {"pipeline": pipeline, "stages": stages, "company": company}


def test_a_rep_creates_a_deal_from_a_columns_plus_and_sees_it_there(
    page: Page, new_context, live_server, board, people
):
    offer = board["stages"]["offer"]
    watch = open_board(page, live_server.url, "alice", board["pipeline"])
    # Maria has the same board open in another browser.
    maria_page = new_context().new_page()
    maria_watch = open_board(maria_page, live_server.url, "maria", board["pipeline"])
    maria_page.evaluate("window.boardWasNotReloaded = true")
    expect(header(page, offer).locator(".board-column-count")).to_contain_text("1")

    # When alice clicks the Offer column's "+"
    header(page, offer).get_by_role("link", name="New deal in Offer").click()
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Pipeline and stage")).to_have_value(str(offer.pk))
    # Shown once its first field has the focus (board.js gives it when the fade-in ends).
    expect(dialog.get_by_label("Title")).to_be_focused()
    # ...fills in a title, picks the company from the search with the keyboard, and a value
    dialog.get_by_label("Title").fill("Northwind expansion")
    company = dialog.get_by_role("combobox", name="Company")
    company.press_sequentially("northw")
    option = dialog.get_by_role("option", name="Northwind Traders")
    expect(option).to_be_visible()
    company.press("ArrowDown")
    company.press("Enter")
    expect(company).to_have_value("Northwind Traders")
    expect(dialog.locator("input[name=company]")).to_have_value(str(board["company"].pk))
    dialog.get_by_label("Value").fill("2500")
    # ...and sends it without the close date Offer needs: the dialog says so and stays open
    dialog.get_by_role("button", name="Create deal").click()
    expect(dialog.locator("#id_expected_close_date_error")).to_have_text("Offer needs this.")
    expect(dialog).to_be_visible()
    assert not Opportunity.objects.filter(title="Northwind expansion").exists()

    # When she fills it in and sends again
    dialog.get_by_label("Expected close date").fill("2027-02-28")
    dialog.get_by_role("button", name="Create deal").click()

    # Then the dialog closes, the card is in Offer, and the column's count and total follow
    expect(dialog).to_be_hidden()
    deal = Opportunity.objects.get(title="Northwind expansion")
    expect(column_cards(page, offer).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(header(page, offer).locator(".board-column-count")).to_contain_text("2")
    expect(header(page, offer)).to_contain_text("3,500 EUR")
    assert (deal.stage, deal.company, deal.owner) == (offer, board["company"], people["alice"])
    # ...and Maria's board shows the new deal without a reload
    expect(column_cards(maria_page, offer).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(header(maria_page, offer)).to_contain_text("3,500 EUR")
    assert maria_page.evaluate("window.boardWasNotReloaded") is True
    assert watch.violations == []
    assert maria_watch.violations == []
