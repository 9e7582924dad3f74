"""The deal panel's products section: who sees it, who may change it, what a write answers.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from pipeline.models import LineItem, Opportunity, Product, ProductPrice
from pipeline.services.line_items import add_line_item
from tests.factories import OpportunityFactory, ProductFactory, ProductPriceFactory
from tests.html import element, elements

HTMX = {"HX-Request": "true"}
# The products section answering a write, for the owner: session, user, savepoint, the
# locked deal, its line items (before), the product, its price, the INSERT, the line items
# (after), the conditional UPDATE, the history INSERT, release; then for the answer the deal,
# its line items and the active products, and out of band the buying team: its members, the
# roles and the contacts offered. The value changes: the deal read for the rollups before
# and after the UPDATE, with its stage history, and their zones (PostgreSQL: and the
# owner's lock).
ADD_QUERIES = 23 + (connection.vendor == "postgresql")


@pytest.fixture
def deal(alice):
    return OpportunityFactory(owner=alice, value=Decimal("5000.00"), currency="EUR")


@pytest.fixture
def licence(db):
    product = ProductFactory(name="Licence", code="LIC")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("250.00"))
    return product


@pytest.fixture
def support(db):
    product = ProductFactory(name="Support", code="SUP")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("99.99"))
    return product


def add_url(deal):
    return reverse("pipeline:add_line_item", args=[deal.pk])


def change_url(item):
    return reverse("pipeline:change_line_item", args=[item.opportunity_id, item.pk])


def remove_url(item):
    return reverse("pipeline:remove_line_item", args=[item.opportunity_id, item.pk])


def panel(client, deal):
    return client.get(reverse("pipeline:deal_detail", args=[deal.pk]), headers=HTMX)


def rows(content):
    return [row.text for row in elements(content, "tr", **{"data-line-item": ""})]


def value_of(deal):
    return Opportunity.objects.get(pk=deal.pk).value


def test_owner_sees_the_line_items_and_the_form_to_add_more(client, alice, deal, licence):
    add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence, quantity=2)
    client.force_login(alice)

    response = panel(client, deal)

    assert rows(response.content) == ["Licence LIC 2 250.00 — 500.00"]
    assert element(response.content, id=f"deal-{deal.pk}-line-items-total").text == "500.00 EUR"
    options = elements(response.content, "option", value=str(licence.pk))
    assert options[0].attrs["data-price"] == "250.00"
    assert element(response.content, "form", id=f"deal-{deal.pk}-line-item-form")


@pytest.mark.parametrize("who", ["bob", "ada"])
def test_a_teammate_sees_the_line_items_only_an_editor_the_forms(
    client, request, alice, deal, licence, who
):
    add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client.force_login(request.getfixturevalue(who))

    response = panel(client, deal)

    assert rows(response.content) == ["Licence LIC 1 250.00 — 250.00"]
    forms = elements(response.content, "form", id=f"deal-{deal.pk}-line-item-form")
    assert bool(forms) is (who == "ada")


def test_adding_answers_the_section_the_summary_and_the_board_event(client, alice, deal, licence):
    client.force_login(alice)

    response = client.post(
        add_url(deal),
        {"product": licence.pk, "quantity": "3", "unit_price": "", "version": deal.version},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert rows(response.content) == ["Licence LIC 3 250.00 — 750.00"]
    summary = element(response.content, id=f"deal-{deal.pk}-summary")
    assert summary.attrs["hx-swap-oob"] == "true"
    assert element(response.content, class_="deal-value").text == "750 EUR"
    assert json.loads(response["HX-Trigger"]) == {"dealChanged": {"id": deal.pk}}
    assert value_of(deal) == Decimal("750.00")


def test_two_products_make_the_value_their_sum(client, alice, deal, licence, support):
    client.force_login(alice)

    client.post(add_url(deal), {"product": licence.pk, "quantity": "2", "version": 1})
    response = client.post(
        add_url(deal), {"product": support.pk, "quantity": "1", "discount": "10", "version": 2}
    )

    assert response.status_code == 302
    # 2 x 250.00 + 99.99 less 10 % (89.99)
    assert value_of(deal) == Decimal("589.99")


def test_bad_input_answers_422_naming_the_field_and_writes_nothing(client, alice, deal, licence):
    client.force_login(alice)

    response = client.post(
        add_url(deal),
        {"product": licence.pk, "quantity": "0", "discount": "150", "version": deal.version},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-line-items"
    messages = [error.text for error in elements(response.content, class_="invalid-feedback")]
    assert any(message.startswith("Quantity:") for message in messages)
    assert any(message.startswith("Discount (%):") for message in messages)
    assert not LineItem.objects.exists()
    assert value_of(deal) == Decimal("5000.00")


def test_a_product_without_a_price_in_the_currency_asks_for_one(client, alice, deal):
    product = ProductFactory(name="Consulting")
    ProductPriceFactory(product=product, currency="USD")
    client.force_login(alice)

    response = client.post(
        add_url(deal), {"product": product.pk, "quantity": "1", "version": 1}, headers=HTMX
    )

    assert response.status_code == 422
    (message,) = [e.text for e in elements(response.content, class_="invalid-feedback")]
    assert message.startswith("Unit price:")
    assert "EUR" in message
    assert not LineItem.objects.exists()


def test_a_stale_version_answers_409_naming_who_changed_it_first(
    client, alice, maria, deal, licence
):
    add_line_item(by=maria, opportunity_id=deal.pk, version=1, product=licence)
    client.force_login(alice)

    response = client.post(
        add_url(deal), {"product": licence.pk, "quantity": "1", "version": 1}, headers=HTMX
    )

    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#deal-{deal.pk}-line-items"
    alert = element(response.content, "div", role="alert")
    assert str(maria) in alert.text
    assert LineItem.objects.count() == 1


def test_changing_and_removing_a_line_item(client, alice, deal, licence):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client.force_login(alice)

    response = client.post(
        change_url(item),
        {"quantity": "4", "unit_price": "200", "discount": "", "version": 2},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert rows(response.content) == ["Licence LIC 4 200.00 — 800.00"]

    response = client.post(remove_url(item), {"version": 3}, headers=HTMX)
    assert response.status_code == 200
    assert rows(response.content) == []
    assert value_of(deal) == Decimal("800.00")


def test_a_bad_change_opens_that_line_items_form_with_the_message(client, alice, deal, licence):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client.force_login(alice)

    response = client.post(
        change_url(item), {"quantity": "-1", "unit_price": "1", "version": 2}, headers=HTMX
    )

    assert response.status_code == 422
    details = element(response.content, "details", open="")
    assert "Quantity: Quantity must be more than 0." in details.text
    assert LineItem.objects.get().quantity == Decimal("1.00")


def test_teammate_may_not_change_line_items(client, alice, bob, deal, licence):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client.force_login(bob)

    for url, data in (
        (add_url(deal), {"product": licence.pk, "quantity": "1", "version": 2}),
        (change_url(item), {"quantity": "5", "unit_price": "1", "version": 2}),
        (remove_url(item), {"version": 2}),
    ):
        assert client.post(url, data, headers=HTMX).status_code == 403, url
    assert list(LineItem.objects.values_list("quantity", flat=True)) == [Decimal("1.00")]


def test_manager_changes_their_reps_line_items(client, maria, deal, licence):
    client.force_login(maria)

    response = client.post(add_url(deal), {"product": licence.pk, "quantity": "1", "version": 1})

    assert response.status_code == 302
    assert value_of(deal) == Decimal("250.00")


@pytest.mark.parametrize("who", ["charlie", "sam"])
def test_other_team_gets_404_and_changes_nothing(client, request, alice, deal, licence, who):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client.force_login(request.getfixturevalue(who))

    for url, data in (
        (add_url(deal), {"product": licence.pk, "quantity": "1", "version": 2}),
        (add_url(deal), {"quantity": "bad"}),
        (change_url(item), {"quantity": "5", "unit_price": "1", "version": 2}),
        (remove_url(item), {"version": 2}),
    ):
        assert client.post(url, data, headers=HTMX).status_code == 404, url
    assert list(LineItem.objects.values_list("quantity", flat=True)) == [Decimal("1.00")]


def grow(deal, count):
    """``count`` more products in the catalogue, each on the deal once."""
    start = Product.objects.count()
    products = Product.objects.bulk_create(
        Product(name=f"Product {start + n:05d}", code=f"G{start + n:05d}") for n in range(count)
    )
    ProductPrice.objects.bulk_create(
        ProductPrice(product=product, currency="EUR", unit_price=Decimal("10.00"))
        for product in products
    )
    LineItem.objects.bulk_create(
        LineItem(
            opportunity=deal,
            product=product,
            quantity=1,
            unit_price=Decimal("10.00"),
            position=start + n,
        )
        for n, product in enumerate(products)
    )


def test_adding_query_count_does_not_grow(client, alice, deal, licence, django_assert_num_queries):
    client.force_login(alice)

    grow(deal, 10)
    with django_assert_num_queries(ADD_QUERIES):
        client.post(
            add_url(deal), {"product": licence.pk, "quantity": "1", "version": 1}, headers=HTMX
        )
    grow(deal, 990)
    with django_assert_num_queries(ADD_QUERIES):
        response = client.post(
            add_url(deal), {"product": licence.pk, "quantity": "1", "version": 2}, headers=HTMX
        )

    assert len(rows(response.content)) == 1002


# The panel as the owner opens it: as tests/pipeline/test_deal_views.py pins it.
PANEL_QUERIES = 13


def test_panel_query_count_does_not_grow_with_line_items(
    client, alice, deal, django_assert_num_queries
):
    client.force_login(alice)

    grow(deal, 10)
    with django_assert_num_queries(PANEL_QUERIES):
        few = panel(client, deal)
    grow(deal, 990)
    with django_assert_num_queries(PANEL_QUERIES):
        many = panel(client, deal)

    assert (len(rows(few.content)), len(rows(many.content))) == (10, 1000)


def test_without_javascript_bad_input_shows_the_deal_page_with_the_message(
    client, alice, deal, licence
):
    client.force_login(alice)

    response = client.post(add_url(deal), {"product": licence.pk, "quantity": "-2", "version": 1})

    assert response.status_code == 422
    # The title is a link that edits it in place, labelled for screen readers.
    assert element(response.content, "h1").text == f"{deal.title} (Edit title)"
    messages = [error.text for error in elements(response.content, class_="invalid-feedback")]
    assert messages == ["Quantity: Quantity must be more than 0."]
    assert not LineItem.objects.exists()
