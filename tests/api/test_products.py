"""The product catalogue and a deal's line items through the API.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

from decimal import Decimal

import pytest

from pipeline.models import DealChange, LineItem, Opportunity, Product
from pipeline.services.line_items import add_line_item
from tests.factories import OpportunityFactory, ProductFactory, ProductPriceFactory


@pytest.fixture
def licence(db):
    product = ProductFactory(name="Licence", code="LIC")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("250.00"))
    return product


@pytest.fixture
def deal(alice, sales):
    return OpportunityFactory(owner=alice, stage=sales.qualification, currency="EUR")


def items_url(deal):
    return f"/api/opportunities/{deal.pk}/line-items/"


def item_url(item):
    return f"/api/opportunities/{item.opportunity_id}/line-items/{item.pk}/"


def test_everyone_reads_active_products_admins_also_retired(api_as, alice, ada, licence):
    ProductFactory(name="Old", is_active=False)

    rep = api_as(alice).get("/api/products/").json()["results"]
    admin = api_as(ada).get("/api/products/").json()["results"]

    assert [product["name"] for product in rep] == ["Licence"]
    assert rep[0]["prices"] == [{"currency": "EUR", "unit_price": "250.00"}]
    assert [product["name"] for product in admin] == ["Licence", "Old"]


def test_admin_creates_and_changes_a_product(api_as, ada):
    client = api_as(ada)

    created = client.post(
        "/api/products/",
        {"name": "Support", "code": "SUP", "prices": [{"currency": "usd", "unit_price": "9.5"}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["prices"] == [{"currency": "USD", "unit_price": "9.50"}]

    url = f"/api/products/{created.json()['id']}/"
    changed = client.patch(url, {"is_active": False, "prices": []}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["is_active"], changed.json()["prices"]) == (False, [])


def test_a_taken_code_or_bad_currency_is_a_400_naming_it(api_as, ada, licence):
    response = api_as(ada).post(
        "/api/products/",
        {"name": "Copy", "code": "lic", "prices": [{"currency": "XYZ", "unit_price": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"code", "prices.XYZ"}
    assert Product.objects.count() == 1


@pytest.mark.parametrize("who", ["alice", "maria"])
def test_only_admins_write_products(request, api_as, licence, who):
    client = api_as(request.getfixturevalue(who))

    assert client.post("/api/products/", {"name": "X"}, format="json").status_code == 403
    patch = client.patch(f"/api/products/{licence.pk}/", {"name": "X"}, format="json")
    assert patch.status_code == 403
    assert Product.objects.get().name == "Licence"


def test_owner_adds_changes_and_removes_line_items(api_as, alice, deal, licence):
    client = api_as(alice)

    added = client.post(
        items_url(deal), {"product": licence.pk, "quantity": "2", "version": 1}, format="json"
    )
    assert added.status_code == 201, added.content
    assert added.json()["unit_price"] == "250.00"
    assert added.json()["total"] == "500.00"
    item = LineItem.objects.get()

    changed = client.patch(item_url(item), {"discount": "50", "version": 2}, format="json")
    assert changed.json()["total"] == "250.00"
    assert Opportunity.objects.get(pk=deal.pk).value == Decimal("250.00")

    listed = client.get(items_url(deal)).json()
    assert [row["id"] for row in listed] == [item.pk]

    removed = client.delete(item_url(item) + "?version=3")
    assert removed.status_code == 204
    assert not LineItem.objects.exists()
    assert set(DealChange.objects.values_list("field", flat=True)) == {"line_items", "value"}


def test_a_stale_version_is_a_409_with_the_current_version(api_as, alice, maria, deal, licence):
    add_line_item(by=maria, opportunity_id=deal.pk, version=1, product=licence)

    response = api_as(alice).post(
        items_url(deal), {"product": licence.pk, "quantity": "1", "version": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2
    assert LineItem.objects.count() == 1


def test_no_price_in_the_deals_currency_is_a_400_on_unit_price(api_as, alice, sales):
    deal = OpportunityFactory(owner=alice, stage=sales.qualification, currency="USD")
    product = ProductFactory()

    response = api_as(alice).post(
        items_url(deal), {"product": product.pk, "quantity": "1", "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"unit_price"}


def test_teammate_reads_but_may_not_change_line_items(api_as, alice, bob, deal, licence):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client = api_as(bob)

    assert client.get(items_url(deal)).status_code == 200
    post = client.post(
        items_url(deal), {"product": licence.pk, "quantity": "1", "version": 2}, format="json"
    )
    assert post.status_code == 403
    assert client.delete(item_url(item) + "?version=2").status_code == 403
    assert LineItem.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "sam"])
def test_other_team_gets_404_for_the_deals_line_items(request, api_as, alice, deal, licence, who):
    item = add_line_item(by=alice, opportunity_id=deal.pk, version=None, product=licence)
    client = api_as(request.getfixturevalue(who))

    assert client.get(items_url(deal)).status_code == 404
    assert client.get(item_url(item)).status_code == 404
    post = client.post(
        items_url(deal), {"product": licence.pk, "quantity": "1", "version": 2}, format="json"
    )
    assert post.status_code == 404
    patch = client.patch(item_url(item), {"quantity": "5", "version": 2}, format="json")
    assert patch.status_code == 404
    assert client.delete(item_url(item) + "?version=2").status_code == 404
    assert list(LineItem.objects.values_list("quantity", flat=True)) == [Decimal("1.00")]
