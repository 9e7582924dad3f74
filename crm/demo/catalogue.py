"""The product catalogue: a dozen products, each priced in every currency the demo sells in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from crm.demo.clock import Clock
from crm.demo.deal_terms import PER_EURO
from pipeline.models import Product, ProductPrice

# Name, code, euro price and whether it is the core of a deal (sold by the seat or as the
# main item) or an add-on sold once beside it.
CATALOGUE = (
    (_("CRM licence (per seat, yearly)"), "CRM-SEAT", 480, True),
    (_("Enterprise licence (yearly)"), "ENT-LIC", 45_000, True),
    (_("Analytics add-on (per seat, yearly)"), "ANL-SEAT", 160, True),
    (_("Field-sales mobile app (per seat, yearly)"), "MOB-SEAT", 120, True),
    (_("Sales training (per person)"), "TRN-PERS", 240, True),
    (_("Data migration project (per day)"), "MIG-DAY", 1_100, True),
    (_("API integration (per day)"), "API-DAY", 1_200, True),
    (_("Onboarding package"), "ONB-PKG", 5_000, False),
    (_("Premium support plan"), "SUP-PREM", 9_000, False),
    (_("Sandbox environment"), "SANDBOX", 2_400, False),
    (_("Single sign-on connector"), "SSO", 1_800, False),
    (_("Custom report pack"), "RPT-PACK", 3_500, False),
)


@dataclass(frozen=True)
class ProductRef:
    pk: int
    # Unit price by currency code.
    prices: dict[str, Decimal]
    is_core: bool


def create_catalogue(clock: Clock) -> list[ProductRef]:
    products = Product.objects.bulk_create(
        Product(name=str(name), code=code, created_at=clock.history_start)
        for name, code, _price, _core in CATALOGUE
    )
    refs = []
    rows = []
    for product, (_name, _code, euros, is_core) in zip(products, CATALOGUE, strict=True):
        # Price lists are in round figures, as the deals' quotes are.
        prices = {
            currency: Decimal(round(euros * rate / 10) * 10).quantize(Decimal("0.01"))
            for currency, rate in PER_EURO.items()
        }
        rows += [ProductPrice(product=product, currency=c, unit_price=p) for c, p in prices.items()]
        refs.append(ProductRef(pk=product.pk, prices=prices, is_core=is_core))
    ProductPrice.objects.bulk_create(rows)
    return refs
