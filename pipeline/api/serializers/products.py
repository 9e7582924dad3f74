"""Products, their prices, and a deal's line items as the API shows and accepts them.

The serializers read and type the input; the rules (unique codes, ISO currencies, the
catalogue price as a line item's default, a deal's value from its line items) are the
services' (``pipeline.services.products``, ``pipeline.services.line_items``).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import StrictBooleanField, TextField, id_field
from pipeline.api.serializers.deals import version_field
from pipeline.models import LineItem, Product

MAX_PRICES = 200


class ProductPriceSerializer(serializers.Serializer):
    currency = TextField(min_length=3, max_length=3, help_text=_("ISO 4217 code, e.g. EUR."))
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = TextField(max_length=Product._meta.get_field("name").max_length)
    code = TextField(
        max_length=Product._meta.get_field("code").max_length,
        required=False,
        allow_blank=True,
        help_text=_("SKU; unique without regard to case."),
    )
    description = TextField(required=False, allow_blank=True, max_length=10_000)
    is_active = StrictBooleanField(
        required=False, help_text=_("Retired products (false) are not offered on new line items.")
    )
    external_id = TextField(
        max_length=Product._meta.get_field("external_id").max_length,
        required=False,
        allow_blank=True,
    )
    prices = ProductPriceSerializer(
        many=True,
        required=False,
        max_length=MAX_PRICES,
        help_text=_("A unit price per currency; when sent, these become the product's prices."),
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class LineItemSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    total = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("Quantity times unit price, less the discount."),
    )

    class Meta:
        model = LineItem
        fields = [
            "id",
            "opportunity",
            "product",
            "product_name",
            "quantity",
            "unit_price",
            "discount",
            "total",
            "position",
            "created_at",
        ]
        read_only_fields = fields


def _quantity(*, required: bool = True) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("9999999999.99"),
        required=required,
    )


def _discount() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        help_text=_("Percent off, 0 to 100."),
    )


def _unit_price() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )


class LineItemCreateSerializer(serializers.Serializer):
    product = id_field(help_text=_("An active product of the catalogue."))
    quantity = _quantity()
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text=_("In the deal's currency; left out, the product's catalogue price in it."),
    )
    discount = _discount()
    version = version_field()


class LineItemUpdateSerializer(serializers.Serializer):
    quantity = _quantity(required=False)
    unit_price = _unit_price()
    discount = _discount()
    version = version_field()


class LineItemVersionSerializer(serializers.Serializer):
    """A removal's query: the deal's version."""

    version = version_field()
