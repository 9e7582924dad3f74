"""A deal as a sales team works it, in headless Chromium: Alice creates it from a column's
"+", edits its value in the panel, adds two products and a decision maker; her teammate's
open board shows it without a reload; her manager, editing the deal's title at the
version Alice saw, is told Alice changed it first."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from pipeline.models import BuyingRole, DealContact, LineItem, Opportunity, StageKind
from tests.browser.test_board import card, column_cards, header, open_board
from tests.browser.test_deal_panel import watch_console
from tests.browser.test_line_items import add_product
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OpportunityFactory,
    PipelineFactory,
    ProductFactory,
    ProductPriceFactory,
    StageFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the times the board's dialog has finished closing, for the test to wait on.
COUNT_DIALOG_CLOSINGS = """
window.dialogClosings = 0;
document.addEventListener("hidden.bs.modal", (event) => {
  if (event.target.id === "board-dialog") { window.dialogClosings += 1; }
});
"""


@pytest.fixture
def sales_team(people):
    """Team North (Maria manages Alice and Bob); a board with one deal in Qualification, a
    catalogue of two products in EUR, and Acme's buyer, Dana, whom Alice knows."""
    alice, maria = people["alice"], people["maria"]
    bob = UserFactory(
        username="bob", first_name="Bob", last_name="Baker", role=Role.REP, team=alice.team
    )
    pipeline = PipelineFactory(name="New business")
    stages = {
        "qualification": StageFactory(
            pipeline=pipeline, name="Qualification", position=1, probability=20
        ),
        "offer": StageFactory(pipeline=pipeline, name="Offer", position=2, probability=60),
        "won": StageFactory(
            pipeline=pipeline, name="Won", position=3, probability=100, kind=StageKind.WON
        ),
    }
    OpportunityFactory(
        title="Existing deal",
        owner=alice,
        stage=stages["qualification"],
        value=Decimal("1000.00"),
        currency="EUR",
        expected_close_date=dt.date(2027, 3, 31),
    )
    for name, price in (("Licence", "250.00"), ("Support", "99.50")):
        ProductPriceFactory(
            product=ProductFactory(name=name, code=name[:3].upper()),
            currency="EUR",
            unit_price=Decimal(price),
        )
    acme = CompanyFactory(name="Acme Corp", owner=alice)
    dana = ContactFactory(first_name="Dana", last_name="Decider", company=acme, owner=alice)
    # The default roles come from a migration, which a transactional test's flush removes.
    decision_maker, _ = BuyingRole.objects.get_or_create(
        name="Decision maker", defaults={"decides": True, "position": 1}
    )
    return {
        **people,
        "bob": bob,
        "maria": maria,
        "pipeline": pipeline,
        "stages": stages,
        "dana": dana,
        "decision_maker": decision_maker,
    }


def test_a_rep_creates_and_works_a_deal_her_team_sees_and_a_stale_edit_names_her(
    page: Page, new_context, live_server, sales_team, artifacts_dir
):
    pipeline, qualification = sales_team["pipeline"], sales_team["stages"]["qualification"]
    errors = watch_console(page)
    page.add_init_script(COUNT_DIALOG_CLOSINGS)
    # Bob, Alice's teammate, has the board open before the deal exists.
    bob_page = new_context().new_page()
    bob_errors = watch_console(bob_page)
    open_board(bob_page, live_server.url, "bob", pipeline)
    bob_page.evaluate("window.boardWasNotReloaded = true")
    open_board(page, live_server.url, "alice", pipeline)
    column_header = header(page, qualification)
    expect(column_header.locator(".board-column-count")).to_contain_text("1")
    expect(column_header).to_contain_text("1,000 EUR")

    # When Alice creates a deal from the Qualification column's "+"
    column_header.get_by_role("link", name="New deal in Qualification").click()
    dialog = page.locator("#board-dialog")
    expect(dialog.get_by_label("Title")).to_be_visible()
    expect(dialog.get_by_label("Pipeline and stage")).to_have_value(str(qualification.pk))
    # Shown once its first field has the focus (board.js gives it when the fade-in ends).
    expect(dialog.get_by_label("Title")).to_be_focused()
    dialog.get_by_label("Title").fill("Acme rollout")
    dialog.get_by_label("Company", exact=True).fill("Acme Corp")
    dialog.get_by_label("Value").fill("5000")
    with page.expect_response(lambda r: "/deals/new/" in r.url and r.request.method == "POST"):
        dialog.get_by_role("button", name="Create deal").click()
    # The dialog closes and stays closed (nothing opens it again once it has faded out)
    page.wait_for_function("() => window.dialogClosings === 1")
    assert page.evaluate("() => document.body.classList.contains('modal-open')") is False
    expect(dialog).to_be_hidden()

    # Then the deal is in that column, and the column's count and total include it
    deal = Opportunity.objects.get(title="Acme rollout")
    assert (deal.stage_id, deal.company.name, deal.value) == (
        qualification.pk,
        "Acme Corp",
        Decimal("5000.00"),
    )
    expect(column_cards(page, qualification).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(column_header.locator(".board-column-count")).to_contain_text("2")
    expect(column_header).to_contain_text("6,000 EUR")
    expect(page.locator("#board-status")).to_contain_text("Deal “Acme rollout” created.")

    # ...and Bob's board shows it without a reload (it polls for changes every 3 s)
    expect(column_cards(bob_page, qualification).locator(f"#deal-{deal.pk}")).to_be_visible()
    expect(header(bob_page, qualification)).to_contain_text("6,000 EUR")
    assert bob_page.evaluate("window.boardWasNotReloaded") is True

    # When Alice opens it and types a new value
    page.locator(f"#card-{deal.pk}-title").click()
    panel = page.locator("#deal-panel-offcanvas")
    value = panel.locator(f"#deal-{deal.pk}-part-value")
    expect(value).to_contain_text("5,000 EUR")
    value.locator("[data-editable='value']").click()
    amount = value.get_by_label("Value")
    expect(amount).to_be_focused()
    amount.fill("7000")
    amount.press("Enter")

    # Then the panel, the card and the column's header follow
    expect(panel.locator(f"#deal-{deal.pk}-part-value")).to_contain_text("7,000 EUR")
    expect(card(page, deal).locator(".deal-card-value")).to_contain_text("7,000 EUR")
    expect(column_header).to_contain_text("8,000 EUR")

    # When she adds two licences and a support plan, the value becomes their sum
    section = panel.locator(f"#deal-{deal.pk}-line-items")
    add_product(page, panel, "Licence", "2")
    expect(section.locator("[data-line-item]")).to_have_count(1)
    add_product(page, panel, "Support", "1")
    expect(section.locator("[data-line-item]")).to_have_count(2)
    expect(section.locator(f"#deal-{deal.pk}-line-items-total")).to_have_text("599.50 EUR")
    expect(panel.locator(f"#deal-{deal.pk}-part-value")).to_contain_text("599.5")
    expect(card(page, deal).locator(".deal-card-value")).to_contain_text("599.5")
    expect(column_header).to_contain_text("1,599.5")

    # When she adds Dana to the buying team as the decision maker
    team = panel.locator(f"#deal-{deal.pk}-buying-team")
    dana, decision_maker = sales_team["dana"], sales_team["decision_maker"]
    add = team.locator(f"#deal-{deal.pk}-team-add")
    add.locator(f"#deal-{deal.pk}-team-search").fill("Dana")
    expect(add.locator(f"#deal-{deal.pk}-team-contact option")).to_have_text(
        ["Dana Decider · Acme Corp"]
    )
    add.get_by_label("Role", exact=True).select_option(label=decision_maker.name)
    add.get_by_role("button", name="Add to the team").click()
    member = team.locator(".deal-team-member")
    expect(member).to_have_count(1)
    expect(member.locator(".deal-team-name")).to_have_text(dana.full_name)
    expect(member.locator(".deal-team-role")).to_have_text(decision_maker.name)

    # Given Maria, her manager, opens the deal's title to edit it at the version Alice sees
    deal.refresh_from_db()
    version = deal.version
    editing = f"/deals/{deal.pk}/edit/title/?version={version}"
    maria_page = new_context().new_page()
    maria_errors = watch_console(maria_page)
    open_board(maria_page, live_server.url, "maria", pipeline)
    maria_page.locator(f"#card-{deal.pk}-title").click()
    maria_panel = maria_page.locator("#deal-panel-offcanvas")
    maria_title = maria_panel.locator(f"#deal-{deal.pk}-part-title")
    expect(maria_title.locator("[data-editable='title']")).to_have_attribute("hx-get", editing)
    maria_title.locator("[data-editable='title']").click()
    expect(maria_title.get_by_label("Title")).to_be_focused()
    # ...and Alice, at the same version, renames the deal first
    title = panel.locator(f"#deal-{deal.pk}-part-title")
    expect(title.locator("[data-editable='title']")).to_have_attribute("hx-get", editing)
    title.locator("[data-editable='title']").click()
    expect(title.get_by_label("Title")).to_be_focused()
    title.get_by_label("Title").fill("Acme rollout, phase 1")
    title.get_by_label("Title").press("Enter")
    expect(panel.locator(f"#deal-{deal.pk}-part-title")).to_contain_text("Acme rollout, phase 1")

    # When Maria saves hers
    maria_title.get_by_label("Title").fill("Acme pilot")
    with maria_page.expect_response(lambda r: "/edit/title/" in r.url) as answer:
        maria_title.get_by_label("Title").press("Enter")
    assert answer.value.status == 409

    # Then she is told Alice changed it first and sees Alice's title; hers is not saved
    expect(maria_panel.get_by_role("alert")).to_contain_text("Alice Archer changed this deal first")
    expect(maria_panel.locator(f"#deal-{deal.pk}-part-title")).to_contain_text(
        "Acme rollout, phase 1"
    )
    deal.refresh_from_db()
    assert (deal.title, deal.version, deal.updated_by) == (
        "Acme rollout, phase 1",
        version + 1,
        sales_team["alice"],
    )
    assert LineItem.objects.filter(opportunity=deal).count() == 2
    assert DealContact.objects.get(opportunity=deal).role == decision_maker
    page.screenshot(path=artifacts_dir / "deal-journey.png", caret="initial", full_page=True)
    maria_page.screenshot(path=artifacts_dir / "deal-journey-conflict.png", caret="initial")
    assert errors == []
    assert bob_errors == []
    # The browser reports the 409 itself; nothing else went wrong on her page.
    assert [error for error in maria_errors if "status of 409" not in error] == []


def test_a_deal_created_with_products_from_the_dialog_is_worth_their_sum(
    page: Page, live_server, sales_team, artifacts_dir
):
    pipeline, qualification = sales_team["pipeline"], sales_team["stages"]["qualification"]
    errors = watch_console(page)
    open_board(page, live_server.url, "alice", pipeline)
    column_header = header(page, qualification)
    expect(column_header).to_contain_text("1,000 EUR")

    # When Alice creates a deal with two licences and a support plan at 10 % off
    column_header.get_by_role("link", name="New deal in Qualification").click()
    dialog = page.locator("#board-dialog")
    expect(dialog.get_by_label("Title")).to_be_focused()
    dialog.get_by_label("Title").fill("Acme licences")
    dialog.get_by_label("Company", exact=True).fill("Acme Corp")
    rows = dialog.locator("[data-new-deal-product]")
    rows.nth(0).get_by_label("Product").select_option(label="Licence (LIC)")
    rows.nth(0).get_by_label("Quantity").fill("2")
    rows.nth(1).get_by_label("Product").select_option(label="Support (SUP)")
    rows.nth(1).get_by_label("Discount (%)").fill("10")
    page.screenshot(path=artifacts_dir / "new-deal-dialog-products.png", caret="initial")
    with page.expect_response(lambda r: "/deals/new/" in r.url and r.request.method == "POST"):
        dialog.get_by_role("button", name="Create deal").click()

    # Then the card and the column's total show the products' sum: 2 x 250 + 99.50 less 10 %
    deal = Opportunity.objects.get(title="Acme licences")
    expect(card(page, deal).locator(".deal-card-value")).to_contain_text("589.55 EUR")
    expect(column_header).to_contain_text("1,589.55 EUR")
    expect(dialog).to_be_hidden()
    assert LineItem.objects.filter(opportunity=deal).count() == 2
    assert errors == []
