"""The new-deal form's products: a fixed number of rows (so the page needs no JavaScript),
each a product, a quantity, a unit price and a discount. A row without a product is left out.

The rows only parse; ``add_line_items`` (through ``create_opportunity_with_new_records``)
holds the rules and the catalogue price, and its errors come back on the row they name.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm
from pipeline.models import Product
from pipeline.services.line_items import LineItemInput

# How many product rows the form offers.
ROWS = 3
# The service's error keys: "line_items.<field>" for one item, "line_items.<n>.<field>".
SERVICE_PREFIX = "line_items."


def product_choices() -> list[tuple[str, str]]:
    """The active catalogue as the rows' choices: one query, shared by every row."""
    products = Product.objects.active().only("pk", "name", "code").order_by("name", "pk")
    choices = [("", _("No product"))]
    choices += [
        (str(product.pk), f"{product.name} ({product.code})" if product.code else product.name)
        for product in products
    ]
    return choices


class NewDealLineItemForm(StyledForm):
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, initial=Decimal(1), decimal_places=2
    )
    # Left empty, the catalogue's price in the deal's currency (the rows' legend says so).
    unit_price = forms.DecimalField(label=_("Unit price"), required=False, decimal_places=2)
    discount = forms.DecimalField(
        label=_("Discount (%)"), required=False, initial=Decimal(0), decimal_places=2
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A price typed on a row without a product would be dropped without a word.
        if cleaned.get("product") is None and cleaned.get("unit_price") is not None:
            self.add_error("product", _("Choose a product for this row, or clear its price."))
        return cleaned

    def item(self) -> LineItemInput | None:
        """The row as the line-item service takes it (after is_valid()), None if empty."""
        data = self.cleaned_data
        if data.get("product") is None:
            return None
        return LineItemInput(
            product=data["product"],
            quantity=data.get("quantity") if data.get("quantity") is not None else Decimal(1),
            unit_price=data.get("unit_price"),
            discount=data.get("discount") or Decimal(0),
        )


def line_item_rows(data: Any = None) -> list[NewDealLineItemForm]:
    choices = product_choices()
    return [
        NewDealLineItemForm(data, prefix=f"line-item-{row}", choices=choices) for row in range(ROWS)
    ]


def given_items(rows: list[NewDealLineItemForm]) -> tuple[list[LineItemInput], list[int]]:
    """The rows' line items, and for each the row it came from."""
    items: list[LineItemInput] = []
    origins: list[int] = []
    for index, row in enumerate(rows):
        item = row.item()
        if item is not None:
            items.append(item)
            origins.append(index)
    return items, origins


def add_row_errors(
    rows: list[NewDealLineItemForm], origins: list[int], error: ValidationError
) -> ValidationError | None:
    """Put the line-item service's errors on the rows they name; what is left is returned."""
    if not hasattr(error, "error_dict"):
        return error
    rest: dict[str, Any] = {}
    for key, errors in error.error_dict.items():
        if not key.startswith(SERVICE_PREFIX):
            rest[key] = errors
            continue
        tail = key.removeprefix(SERVICE_PREFIX)
        index, _dot, field = tail.partition(".") if "." in tail else ("0", "", tail)
        row = rows[origins[int(index)]]
        row.add_error(field if field in row.fields else None, errors)
    return ValidationError(rest) if rest else None
