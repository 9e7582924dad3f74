"""Every list and detail endpoint costs the same number of queries at any number of rows.

Each endpoint is measured with a few rows and with many; the count must not change, and is
pinned so that a serializer field fetching a related row per row shows up here at once.
The count includes the session's two queries (session, user).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from forecasting.models import Quota
from pipeline.models import DealField, LineItem, Opportunity, Product, ProductPrice
from tests.factories import (
    BuyingRoleFactory,
    CompanyFactory,
    ContactFactory,
    DealContactFactory,
    LeadFactory,
    OpportunityFactory,
    ProductFactory,
    ProductPriceFactory,
    QuotaFactory,
    StageFactory,
    TaskFactory,
    TouchpointFactory,
    UserFactory,
)


@dataclass(frozen=True)
class Endpoint:
    url: str
    make: Callable[[Any, int], list[Any]]  # (world, n) -> rows; the first is the detail row
    queries: int
    detail_queries: int | None = None


def deals(world, n):
    # Every deal its own owner, company and contact: a per-row lookup would show.
    return [
        OpportunityFactory(
            owner=UserFactory(team=world.alice.team),
            stage=world.sales.qualification,
            contact=ContactFactory(),
        )
        for _ in range(n)
    ]


def companies(world, n):
    return [CompanyFactory(owner=UserFactory(team=world.alice.team)) for _ in range(n)]


def contacts(world, n):
    return [ContactFactory(company__owner=UserFactory(team=world.alice.team)) for _ in range(n)]


def leads(world, n):
    return [LeadFactory(owner=UserFactory(team=world.alice.team)) for _ in range(n)]


def touchpoints(world, n):
    return [TouchpointFactory(opportunity=deal, by=deal.owner) for deal in deals(world, n)]


def tasks(world, n):
    return [TaskFactory(opportunity=deal, assignee=deal.owner) for deal in deals(world, n)]


_serial = count()


def notifications(world, n):
    return [
        Notification.objects.create(
            recipient=world.alice,
            kind=NotificationKind.STALE_DEAL,
            message="m",
            dedupe_key=f"n{next(_serial)}",
        )
        for _ in range(n)
    ]


def users(world, n):
    return [UserFactory(team=world.alice.team) for _ in range(n)]


def quotas(world, n):
    return [QuotaFactory(user=UserFactory(team=world.alice.team)) for _ in range(n)]


def pipelines(world, n):
    return [StageFactory().pipeline for _ in range(n)]


def stages(world, n):
    return [StageFactory() for _ in range(n)]


def products(world, n):
    made = [ProductFactory() for _ in range(n)]
    for product in made:
        ProductPriceFactory(product=product, currency="EUR")
        ProductPriceFactory(product=product, currency="USD")
    return made


ENDPOINTS = {
    # Records with custom fields read the active definitions once: one query more.
    "opportunities": Endpoint("/api/opportunities/", deals, 4, 4),
    "companies": Endpoint("/api/companies/", companies, 4, 4),
    "contacts": Endpoint("/api/contacts/", contacts, 4, 4),
    "leads": Endpoint("/api/leads/", leads, 4, 4),
    "touchpoints": Endpoint("/api/touchpoints/", touchpoints, 3, 3),
    "tasks": Endpoint("/api/tasks/", tasks, 3, 3),
    "notifications": Endpoint("/api/notifications/", notifications, 3, 3),
    "users": Endpoint("/api/users/", users, 4, 3),
    "quotas": Endpoint("/api/quotas/", quotas, 4, 3),
    "pipelines": Endpoint("/api/pipelines/", pipelines, 5, 4),
    "stages": Endpoint("/api/stages/", stages, 4, 3),
    "products": Endpoint("/api/products/", products, 5, 4),
}


@dataclass
class World:
    alice: Any
    sales: Any


@pytest.mark.parametrize("name", ENDPOINTS)
def test_list_costs_the_same_at_any_length(name, api_as, alice, sales, django_assert_num_queries):
    endpoint = ENDPOINTS[name]
    world = World(alice, sales)
    client = api_as(alice)
    endpoint.make(world, 2)

    with django_assert_num_queries(endpoint.queries):
        few = client.get(endpoint.url)
    endpoint.make(world, 10)
    with django_assert_num_queries(endpoint.queries):
        many = client.get(endpoint.url)

    assert few.status_code == many.status_code == 200
    assert len(many.json()["results"]) > len(few.json()["results"]) >= 2


@pytest.mark.parametrize("name", ENDPOINTS)
def test_detail_costs_a_fixed_number_of_queries(
    name, api_as, alice, sales, django_assert_num_queries
):
    endpoint = ENDPOINTS[name]
    row = endpoint.make(World(alice, sales), 1)[0]
    client = api_as(alice)

    with django_assert_num_queries(endpoint.detail_queries):
        response = client.get(f"{endpoint.url}{row.pk}/")

    assert response.status_code == 200


def test_forecast_summary_costs_the_same_at_any_size(
    api_as, alice, sales, django_assert_num_queries
):
    world = World(alice, sales)
    client = api_as(alice)
    OpportunityFactory(owner=alice, stage=sales.qualification)

    with django_assert_num_queries(6):
        client.get("/api/forecast/")
    for _ in range(10):
        OpportunityFactory(owner=alice, stage=sales.proposal)
        OpportunityFactory(owner=alice, stage=sales.won, status="won", closed_at=timezone.now())
    QuotaFactory(user=alice)
    deals(world, 3)
    with django_assert_num_queries(6):
        response = client.get("/api/forecast/")

    assert response.status_code == 200
    assert Quota.objects.exists()


def test_a_deals_line_items_cost_the_same_at_any_number(
    api_as, alice, sales, django_assert_num_queries
):
    # Session, user, the deal's visibility, the line items with their products.
    deal = OpportunityFactory(owner=alice, stage=sales.qualification)
    client = api_as(alice)
    url = f"/api/opportunities/{deal.pk}/line-items/"

    def grow(count):
        start = Product.objects.count()
        made = Product.objects.bulk_create(Product(name=f"P{start + n}") for n in range(count))
        LineItem.objects.bulk_create(
            LineItem(opportunity=deal, product=product, quantity=1, unit_price=1, position=n)
            for n, product in enumerate(made, start=start)
        )

    grow(10)
    with django_assert_num_queries(4):
        few = client.get(url)
    grow(990)
    with django_assert_num_queries(4):
        many = client.get(url)

    assert (len(few.json()), len(many.json())) == (10, 1000)


# Unpaged lists: a deal's buying team and the buying roles (session, user, the deal, the
# team; session, user, the roles).
@pytest.mark.parametrize(("url", "queries"), [("team", 4), ("/api/buying-roles/", 3)])
def test_buying_team_lists_cost_the_same_at_any_length(
    url, queries, api_as, alice, sales, django_assert_num_queries
):
    deal = OpportunityFactory(owner=alice, stage=sales.qualification)
    url = f"/api/opportunities/{deal.pk}/contacts/" if url == "team" else url
    client = api_as(alice)

    def grow(n):
        for _ in range(n):
            role = BuyingRoleFactory()
            DealContactFactory(opportunity=deal, contact=ContactFactory(), role=role)

    grow(2)
    with django_assert_num_queries(queries):
        few = client.get(url)
    grow(10)
    with django_assert_num_queries(queries):
        many = client.get(url)

    assert few.status_code == many.status_code == 200
    assert len(many.json()) > len(few.json()) >= 2


# PostgreSQL also locks the column the new deal goes to (SQLite locks the file). The
# stage's required custom fields are read once: the entry criteria do not read them again.
# The last three: the new deal and its stage history read for the rollups, and the zones
# they are kept in.
CREATE_QUERIES = 46 + 2 * (connection.vendor == "postgresql")


def new_deal(company, sales, items):
    return {
        "title": "Rollout",
        "company": company.pk,
        "pipeline": sales.pipeline.pk,
        "currency": "EUR",
        "line_items": items,
    }


@pytest.mark.parametrize("size", [10, 1000])
def test_create_with_line_items_costs_the_same_at_any_catalogue_or_order_size(
    api_as, alice, sales, django_assert_num_queries, size
):
    products = Product.objects.bulk_create(
        Product(name=f"P{n}", code=f"P-{n}") for n in range(size)
    )
    ProductPrice.objects.bulk_create(
        ProductPrice(product=product, currency="EUR", unit_price=Decimal(10))
        for product in products
    )
    company = CompanyFactory(owner=alice)
    client = api_as(alice)
    # As many items as the catalogue holds, up to the 100 a request may carry.
    items = [{"product": product.pk, "quantity": "2"} for product in products[:100]]

    # A create without line items costs CREATE_QUERIES; the items add 15 however many: a
    # savepoint, the deal locked, its items, the products, their prices, one insert, the
    # items again, the claim with the deal and its stage history read before and after
    # for the rollups and their zones, and the history.
    with django_assert_num_queries(CREATE_QUERIES + 15 + (connection.vendor == "postgresql")):
        response = client.post(
            "/api/opportunities/", new_deal(company, sales, items), format="json"
        )

    assert response.status_code == 201, response.json()
    assert response.json()["value"] == f"{20 * len(items)}.00"


def test_a_create_without_line_items_costs_what_it_did(
    api_as, alice, sales, django_assert_num_queries
):
    ProductPrice.objects.bulk_create(
        ProductPrice(product=product, currency="EUR", unit_price=Decimal(10))
        for product in Product.objects.bulk_create(Product(name=f"P{n}") for n in range(10))
    )
    company = CompanyFactory(owner=alice)
    client = api_as(alice)

    with django_assert_num_queries(CREATE_QUERIES):
        response = client.post("/api/opportunities/", new_deal(company, sales, []), format="json")

    assert response.status_code == 201, response.json()
    assert not LineItem.objects.exists()


@pytest.mark.parametrize("size", [10, 1000])
def test_custom_field_changes_cost_the_same_at_any_number_of_records(
    api_as, ada, django_assert_num_queries, size
):
    DealField.objects.create(
        key="tier", label="Tier", kind="choice", choices=[{"key": "gold", "label": "Gold"}]
    )
    OpportunityFactory()
    deal = Opportunity.objects.get()
    Opportunity.objects.bulk_create(
        Opportunity(
            title=f"D{n}",
            company_id=deal.company_id,
            owner_id=deal.owner_id,
            pipeline_id=deal.pipeline_id,
            stage_id=deal.stage_id,
            currency="EUR",
            custom_fields={"tier": "gold"},
            position=n + 2,
        )
        for n in range(size)
    )
    client = api_as(ada)

    # Session, user, the field, then the service's lock, save and savepoints; a kind change
    # reads the records holding a value a page of 2,000 at a time: one query more here.
    with django_assert_num_queries(7):
        relabel = client.patch(
            "/api/custom-fields/deal.tier/", {"label": "Support tier"}, format="json"
        )
    with django_assert_num_queries(8):
        kind = client.patch("/api/custom-fields/deal.tier/", {"kind": "text"}, format="json")

    assert (relabel.status_code, kind.status_code) == (200, 200)
