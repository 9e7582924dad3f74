"""The preview says what the import will leave out: columns no field reads, and the products
of the first rows that are not in the catalogue."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.imports.models import ImportJob
from tests.factories import ProductFactory, ProductPriceFactory
from tests.html import element, elements

CONTENT = """Deal;Account;Item;Probability;Notes
Renewal;Acme;Pro X;50;call back
Pilot;Acme;Pro Y;20;
Expansion;Acme;Gadget;10;
Again;Acme;pro y;10;
"""
MAPPING = {"title": "Deal", "company": "Account", "product": "Item"}


@pytest.fixture
def previewed(client, alice, acme, pipeline):
    product = ProductFactory(name="Pro X")
    ProductPriceFactory(product=product, currency="EUR", unit_price=Decimal("10.00"))
    client.force_login(alice)
    upload = SimpleUploadedFile("deals.csv", CONTENT.encode(), content_type="text/csv")
    client.post(
        reverse("imports:list"),
        {"kind": "deals", "file": upload, "encoding": "utf-8-sig", "delimiter": ""},
    )
    job = ImportJob.objects.get()
    response = client.post(reverse("imports:columns", args=[job.pk]), MAPPING)
    assert response.status_code == 302
    return client.get(reverse("imports:preview", args=[job.pk]))


def test_the_preview_lists_the_columns_it_ignores(previewed):
    section = element(previewed.content, "section", id="ignored-columns")

    assert "Ignored columns" in section.text
    badges = elements(previewed.content, "span", class_="badge")
    assert [badge.text for badge in badges if badge.text in {"Probability", "Notes"}] == [
        "Probability",
        "Notes",
    ]


def test_the_preview_lists_unknown_products_of_the_first_rows_once_each(previewed):
    section = element(previewed.content, "section", id="not-found")

    assert "Not found in the first 4 rows" in section.text
    assert [code.text for code in elements(previewed.content, "code")][:2] == ["Pro Y", "Gadget"]
    assert previewed.context["not_found"] == [("Product", ["Pro Y", "Gadget"])]
