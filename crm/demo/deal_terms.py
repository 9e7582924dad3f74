"""What a deal is about and worth: title, value, currency, close date, forecast category."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from crm.demo.clock import Clock
from crm.demo.companies import CompanyRef
from crm.demo.names import PRODUCTS
from pipeline.models import ForecastCategory, StageKind

RENEWAL = _("%(product)s renewal")
SEATS = (10, 15, 20, 25, 40, 50, 75, 100, 150, 250)
# Rough exchange rates, so that a deal in dollars is about as big as the same deal in euros.
PER_EURO = {"EUR": 1.0, "USD": 1.1, "GBP": 0.85}


def title_and_value(
    rng: random.Random, company: CompanyRef, *, renewal: bool, renewal_label: str
) -> tuple[str, Decimal]:
    product, typical = rng.choice(PRODUCTS)
    seats = rng.choice(SEATS)
    if "{seats}" in product:
        product, typical = product.format(seats=seats), typical * seats / 25
    if renewal:
        product, typical = renewal_label % {"product": product}, typical * 0.6
    amount = typical * rng.lognormvariate(0, 0.5) * PER_EURO[company.country.currency]
    # Sales people quote round figures.
    rounded = max(500, round(amount / 50) * 50)
    return f"{company.short_name}: {product}", Decimal(rounded).quantize(Decimal("0.01"))


def expected_close(
    rng: random.Random,
    clock: Clock,
    *,
    created: int,
    closed: int | None,
    probability: int,
) -> dt.date:
    """A closed deal's forecast was roughly right; an open one's is sometimes already past."""
    if closed is not None:
        day = clock.day_of(closed) + dt.timedelta(days=rng.randint(-21, 14))
    elif rng.random() < 0.15:
        day = clock.today - dt.timedelta(days=rng.randint(1, 45))
    else:
        ahead = round((100 - probability) * rng.uniform(0.3, 1.5)) + 1
        day = clock.today + dt.timedelta(days=ahead)
    return max(day, clock.day_of(created))


def forecast_category(rng: random.Random, kind: str, probability: int) -> str:
    if kind == StageKind.WON:
        return ForecastCategory.CLOSED
    if kind == StageKind.LOST:
        return ForecastCategory.OMITTED
    if probability >= 80:
        return ForecastCategory.COMMIT
    if probability >= 50:
        return ForecastCategory.BEST_CASE
    # A few early deals the rep does not believe in yet.
    return ForecastCategory.OMITTED if rng.random() < 0.05 else ForecastCategory.PIPELINE
