"""The product catalogue and the products on a deal (line items).

A product has a unit price in each currency it is sold in. A line item copies the price
when it is added (a later price change does not rewrite a deal already offered), and a deal
with line items takes its value from them: the sum of quantity times unit price, less discount.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.currencies import validate_currency
from pipeline.models.deals import Opportunity
from pipeline.querysets import LineItemQuerySet, ProductQuerySet

CENT = Decimal("0.01")


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50, blank=True, help_text=_("SKU"))
    description = models.TextField(_("description"), blank=True)
    # Retired products stay on the deals that have them, and in the reports by product.
    is_active = models.BooleanField(_("active"), default=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Other names the product goes by in imported files ("ProX" for "Pro X").
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(
                Lower("code"), condition=~Q(code=""), name="product_code_unique"
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="product_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name


class ProductPrice(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["product", "currency"]
        verbose_name = _("product price")
        verbose_name_plural = _("product prices")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "currency"], name="product_price_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="product_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.unit_price} {self.currency}"


class LineItem(models.Model):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="line_items",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        # A product that was ever sold is retired, not deleted.
        on_delete=models.PROTECT,
        related_name="line_items",
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    # In the deal's currency.
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    discount = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = LineItemQuerySet.as_manager()

    class Meta:
        ordering = ["opportunity", "position", "pk"]
        verbose_name = _("line item")
        verbose_name_plural = _("line items")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="line_item_quantity_positive",
                violation_error_message=_("Quantity must be more than 0."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="line_item_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0, discount__lte=100),
                name="line_item_discount_range",
                violation_error_message=_("A discount is between 0 and 100%."),
            ),
        ]
        indexes = [models.Index(fields=["opportunity", "position"], name="line_item_deal_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"

    @property
    def total(self) -> Decimal:
        """Quantity times unit price, less the discount, to the cent (half up, as invoices do)."""
        gross = self.quantity * self.unit_price
        return (gross * (100 - self.discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
