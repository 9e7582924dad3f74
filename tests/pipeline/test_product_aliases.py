"""A product's other names, for imported files: admins set them on the product settings page as
a comma-separated field; none may name another product."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pipeline.models import Product
from pipeline.services.products import create_product, update_product
from tests.factories import ProductFactory
from tests.html import element


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


def form(**fields):
    return {"name": "Pro X", "code": "", "description": "", "is_active": "on", **fields}


def test_admin_gives_a_product_other_names_separated_by_commas(admin_client):
    response = admin_client.post(
        reverse("pipeline:add_product"),
        form(aliases=" Pro-X ,  ProX, XPro, , Professional   X, xpro"),
    )

    assert response.status_code == 302
    # Repeats and the product's own name (whatever the case and spaces: "ProX" is "Pro X")
    # are dropped, and blanks; spaces are tidied.
    assert Product.objects.get().aliases == ["Pro-X", "XPro", "Professional X"]


def test_the_edit_page_shows_the_other_names_and_saves_them(admin_client):
    product = ProductFactory(name="Pro X", aliases=["ProX"])
    url = reverse("pipeline:edit_product", args=[product.pk])

    page = admin_client.get(url)
    assert element(page.content, "input", name="aliases").attrs["value"] == "ProX"

    response = admin_client.post(url, form(name="Pro X", aliases="Pro-X"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.aliases == ["Pro-X"]


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ("Basic", "“Basic” names another product, Basic."),
        ("B-1", "“B-1” names another product, Basic (B-1)."),
        ("basic plan", "“basic plan” is already another name of Basic (B-1)."),
    ],
)
def test_an_other_name_may_not_name_another_product(admin_client, aliases, message):
    ProductFactory(name="Basic", code="B-1", aliases=["Basic Plan"])

    response = admin_client.post(reverse("pipeline:add_product"), form(aliases=aliases))

    assert response.status_code == 422
    assert response.context["form"].errors["aliases"] == [message.replace("Basic.", "Basic (B-1).")]
    assert not Product.objects.filter(name="Pro X").exists()


def test_a_product_may_not_be_named_as_another_products_other_name(ada):
    ProductFactory(name="Pro X", code="", aliases=["Starter"])

    with pytest.raises(ValidationError) as refusal:
        create_product(by=ada, name="starter")

    assert refusal.value.message_dict == {"name": ["Pro X goes by “Starter” already."]}


def test_its_own_name_or_code_as_another_name_is_dropped(ada):
    product = create_product(by=ada, name="Pro X", code="PX", aliases=["pro x", "px", "ProX", "X"])

    assert product.aliases == ["X"]


def test_other_names_are_checked_when_they_change(ada):
    product = ProductFactory(name="Pro X", code="")
    ProductFactory(name="Gold", code="")

    with pytest.raises(ValidationError) as refusal:
        update_product(by=ada, product_id=product.pk, fields={"aliases": ["GOLD"]})

    assert list(refusal.value.message_dict) == ["aliases"]
    product.refresh_from_db()
    assert product.aliases == []


def test_a_too_long_other_name_names_the_field(admin_client):
    response = admin_client.post(reverse("pipeline:add_product"), form(aliases="x" * 201))

    assert response.status_code == 422
    assert "aliases" in response.context["form"].errors
