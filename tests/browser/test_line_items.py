"""Products on a deal in headless Chromium: add two in the board's side panel and the deal's
value, in the panel and on its card, becomes their sum without a reload."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from pipeline.models import Opportunity
from tests.browser.test_deal_panel import watch_console
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import (
    OpportunityFactory,
    PipelineFactory,
    ProductFactory,
    ProductPriceFactory,
    StageFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deal(people):
    stage = StageFactory(pipeline=PipelineFactory(name="New business"), name="Offer")
    for name, price in (("Licence", "250.00"), ("Support", "99.50")):
        ProductPriceFactory(
            product=ProductFactory(name=name, code=name[:3].upper()),
            currency="EUR",
            unit_price=Decimal(price),
        )
    return OpportunityFactory(
        owner=people["alice"], stage=stage, title="Acme rollout", value=Decimal("1000.00")
    )


def add_product(page: Page, panel, name: str, quantity: str) -> None:
    form = panel.locator("[data-line-item-form]")
    form.get_by_label("Product").select_option(
        label=next(
            text
            for text in form.get_by_label("Product").locator("option").all_inner_texts()
            if text.startswith(name)
        )
    )
    # The catalogue price is filled in on choosing the product.
    expect(form.get_by_label("Unit price")).not_to_have_value("")
    form.get_by_label("Quantity").fill(quantity)
    with page.expect_response(lambda response: "/line-items/" in response.url):
        form.get_by_role("button", name="Add product").click()


def test_two_products_in_the_panel_make_the_deals_value_their_sum(
    page: Page, live_server, deal, artifacts_dir
):
    errors = watch_console(page)
    submit_login(page, live_server.url, username="alice", password=PASSWORD)
    page.goto(live_server.url + reverse("pipeline:board", args=[deal.pipeline_id]))
    card = page.locator(f"#deal-{deal.pk}")
    expect(card.locator(".deal-card-value")).to_contain_text("1,000")

    # When Alice opens the deal and adds two licences and one support plan
    page.locator(f"#card-{deal.pk}-title").click()
    panel = page.locator("#deal-panel-offcanvas")
    section = panel.locator(f"#deal-{deal.pk}-line-items")
    expect(section).to_be_visible()
    add_product(page, panel, "Licence", "2")
    expect(section.locator("[data-line-item]")).to_have_count(1)
    add_product(page, panel, "Support", "1")

    # Then the panel lists both, and the value is their sum: in the panel and on the card
    expect(section.locator("[data-line-item]")).to_have_count(2)
    expect(section.locator(f"#deal-{deal.pk}-line-items-total")).to_have_text("599.50 EUR")
    expect(panel.locator(f"#deal-{deal.pk}-summary .deal-value")).to_contain_text("599.5")
    expect(card.locator(".deal-card-value")).to_contain_text("599.5")
    assert Opportunity.objects.get(pk=deal.pk).value == Decimal("599.50")
    page.screenshot(path=artifacts_dir / "deal-panel-line-items.png", caret="initial")
    assert errors == []
