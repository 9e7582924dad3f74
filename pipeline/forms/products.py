"""Forms of the product catalogue settings and of a deal's line items.

They parse and present input only; the rules (unique codes, prices per ISO currency, the
catalogue price as a line item's default) live in ``pipeline.services.products`` and
``pipeline.services.line_items``, whose errors name the same fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm, add_service_errors
from pipeline.models import Product
from pipeline.services.products import CODE_MAX_LENGTH, NAME_MAX_LENGTH

# Blank price rows under the product's prices, for currencies it is not sold in yet.
BLANK_PRICE_ROWS = 3


class ProductForm(StyledForm):
    """A product and its prices: one currency and price pair per row."""

    describes_help_text = True

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        required=False,
        help_text=_("SKU; unique, whatever the case."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    aliases = forms.CharField(
        label=_("Other names"),
        required=False,
        help_text=_(
            "Names imported files give this product, separated by commas (“ProX, Pro-X”); "
            "case and spaces never matter."
        ),
    )
    is_active = forms.BooleanField(
        label=_("Active (offered on new line items)"), required=False, initial=True
    )

    def __init__(self, *args: Any, price_rows: int = BLANK_PRICE_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # As many rows as were sent, so that nothing typed is lost on an error.
            sent = [key for key in self.data if key.startswith("price_currency_")]
            price_rows = max(price_rows, len(sent))
        self.price_row_count = price_rows
        for index in range(price_rows):
            self.fields[f"price_currency_{index}"] = forms.CharField(
                label=_("Currency"), max_length=3, required=False
            )
            self.fields[f"price_amount_{index}"] = forms.DecimalField(
                label=_("Unit price"), required=False, min_value=Decimal(0), decimal_places=2
            )
        self.style_fields()

    @classmethod
    def for_product(cls, product: Product) -> ProductForm:
        prices = list(product.prices.all())
        initial: dict[str, Any] = {
            "name": product.name,
            "code": product.code,
            "description": product.description,
            "aliases": ", ".join(product.aliases),
            "is_active": product.is_active,
        }
        for index, price in enumerate(prices):
            initial[f"price_currency_{index}"] = price.currency
            initial[f"price_amount_{index}"] = price.unit_price
        return cls(initial=initial, price_rows=len(prices) + BLANK_PRICE_ROWS)

    @property
    def price_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"price_currency_{index}"], self[f"price_amount_{index}"])
            for index in range(self.price_row_count)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for index in range(self.price_row_count):
            currency = (cleaned.get(f"price_currency_{index}") or "").strip()
            amount = cleaned.get(f"price_amount_{index}")
            if currency and amount is None and f"price_amount_{index}" not in self.errors:
                self.add_error(f"price_amount_{index}", _("Give the price in this currency."))
            elif amount is not None and not currency:
                self.add_error(f"price_currency_{index}", _("Say which currency this price is in."))
        return cleaned

    def prices(self) -> dict[str, Decimal]:
        """The rows filled in, by currency as typed (the service checks the codes)."""
        prices: dict[str, Decimal] = {}
        for index in range(self.price_row_count):
            currency = (self.cleaned_data.get(f"price_currency_{index}") or "").strip().upper()
            amount = self.cleaned_data.get(f"price_amount_{index}")
            if currency and amount is not None:
                if currency in prices:
                    self.add_error(f"price_currency_{index}", _("Give one price per currency."))
                prices[currency] = amount
        return prices

    def clean_aliases(self) -> list[str]:
        """The comma-separated names as a list; the service checks them against the others."""
        aliases = [" ".join(alias.split()) for alias in self.cleaned_data["aliases"].split(",")]
        aliases = [alias for alias in aliases if alias]
        too_long = [alias for alias in aliases if len(alias) > NAME_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                _("“%(alias)s” is longer than %(limit)d characters."),
                params={"alias": too_long[0][:40], "limit": NAME_MAX_LENGTH},
            )
        return aliases

    def fields_for_service(self) -> dict[str, object]:
        names = ("name", "code", "description", "is_active", "aliases")
        return {name: self.cleaned_data[name] for name in names}

    def add_service_error(self, error: ValidationError) -> None:
        """Put ``prices.<code>`` errors on the row of that currency; the rest by field."""
        if not hasattr(error, "error_dict"):
            add_service_errors(self, error)
            return
        rows = {
            (self.cleaned_data.get(f"price_currency_{index}") or "").strip().upper(): index
            for index in range(self.price_row_count)
        }
        for name, errors in error.error_dict.items():
            if name.startswith("prices."):
                index = rows.get(name.removeprefix("prices.").upper())
                self.add_error(None if index is None else f"price_currency_{index}", errors)
            else:
                self.add_error(name if name in self.fields else None, errors)


class ProductSearchForm(forms.Form):
    """The catalogue list's filters."""

    ACTIVE_CHOICES = (("active", _("Active")), ("retired", _("Retired")), ("all", _("All")))

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Show"), choices=ACTIVE_CHOICES, required=False)


class LineItemForm(StyledForm):
    """A product to add to a deal; a unit price left empty is the catalogue's."""

    compact = True

    product = forms.IntegerField(
        label=_("Product"), error_messages={"required": _("Choose a product.")}
    )
    quantity = forms.DecimalField(label=_("Quantity"), initial=Decimal(1), decimal_places=2)
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        required=False,
        decimal_places=2,
        help_text=_("Empty: the catalogue price in the deal's currency."),
    )
    discount = forms.DecimalField(
        label=_("Discount (%)"), required=False, initial=Decimal(0), decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LineItemChangeForm(StyledForm):
    """A line item's quantity, unit price and discount."""

    compact = True

    quantity = forms.DecimalField(label=_("Quantity"), decimal_places=2)
    unit_price = forms.DecimalField(label=_("Unit price"), decimal_places=2)
    discount = forms.DecimalField(label=_("Discount (%)"), required=False, decimal_places=2)
    version = forms.IntegerField(widget=forms.HiddenInput)


class DealVersionForm(forms.Form):
    """The version of the deal a removal was asked for at."""

    version = forms.IntegerField()
