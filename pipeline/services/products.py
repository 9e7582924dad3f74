"""The product catalogue: admins create and change products and their price per currency.

A product that was ever sold stays: deals and the reports by product keep pointing at it.
Removing one that is on a deal retires it instead (it is no longer offered for new line
items); one that never was sold is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from core.currencies import INVALID_MESSAGE as CURRENCY_MESSAGE
from core.currencies import is_currency, normalise_currency
from pipeline.models import LineItem, Product, ProductPrice

NAME_MAX_LENGTH = Product._meta.get_field("name").max_length or 200
CODE_MAX_LENGTH = Product._meta.get_field("code").max_length or 50
EXTERNAL_ID_MAX_LENGTH = Product._meta.get_field("external_id").max_length or 100
# ProductPrice.unit_price: 14 digits, 2 of them after the point.
PRICE_LIMIT = Decimal(10) ** 12

EDITABLE_FIELDS = frozenset({"name", "code", "description", "is_active", "external_id", "aliases"})
MAX_ALIASES = 20


def product_key(name: str) -> str:
    """A product name as files are matched to the catalogue: without case or spaces."""
    return "".join(name.casefold().split())


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise PermissionDenied(_("Only admins change the product catalogue."))


def parse_decimal(value: object, *, limit: Decimal) -> Decimal:
    """``value`` as a number to the hundredth, below ``limit`` in size; ValidationError if not.

    Shared by prices, quantities and discounts, which each add their own range.
    """
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number, e.g. 1250.00.")) from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number, e.g. 1250.00."))
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("Use at most two decimal places."))
    if abs(number) >= limit:
        raise ValidationError(_("This number is too large."))
    return number.quantize(Decimal("0.01"))


def clean_money(value: object, *, limit: Decimal = PRICE_LIMIT) -> Decimal:
    """``value`` as a price to the cent: not negative, below ``limit``."""
    amount = parse_decimal(value, limit=limit)
    if amount < 0:
        raise ValidationError(_("A price cannot be negative."))
    return amount


def _clean_prices(prices: Mapping[str, object], errors: dict[str, str]) -> dict[str, Decimal]:
    """The prices by currency code; errors named ``prices.<code>`` (or ``prices``)."""
    cleaned: dict[str, Decimal] = {}
    for raw_code, raw_price in prices.items():
        code = normalise_currency(raw_code)
        key = f"prices.{code or raw_code}"
        if not is_currency(code):
            errors[key] = CURRENCY_MESSAGE % {"value": raw_code}
            continue
        if code in cleaned:
            errors[key] = _("Give one price per currency.")
            continue
        try:
            cleaned[code] = clean_money(raw_price)
        except ValidationError as error:
            errors[key] = error.messages[0]
    return cleaned


def _apply_fields(product: Product, fields: Mapping[str, object], errors: dict[str, str]) -> None:
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    for name in unknown:
        errors[name] = _("There is no such field.")
    for name, limit in (
        ("name", NAME_MAX_LENGTH),
        ("code", CODE_MAX_LENGTH),
        ("external_id", EXTERNAL_ID_MAX_LENGTH),
    ):
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, str):
            errors[name] = _("Enter text.")
            continue
        value = " ".join(value.split())
        if len(value) > limit:
            errors[name] = _("Keep this to %(limit)d characters.") % {"limit": limit}
        setattr(product, name, value)
    if "description" in fields:
        description = fields["description"]
        if isinstance(description, str):
            product.description = description.strip()
        else:
            errors["description"] = _("Enter text.")
    if "is_active" in fields:
        if isinstance(fields["is_active"], bool):
            product.is_active = fields["is_active"]
        else:
            errors["is_active"] = _("Say yes or no.")
    if "aliases" in fields:
        _apply_aliases(product, fields["aliases"], errors)
    if not product.name and "name" not in errors:
        errors["name"] = _("Give the product a name.")


def _apply_aliases(product: Product, aliases: object, errors: dict[str, str]) -> None:
    """Other names for the product in imported files; repeats and its own name dropped."""
    if not isinstance(aliases, list | tuple) or not all(isinstance(a, str) for a in aliases):
        errors["aliases"] = _("Give the other names as a list of texts.")
        return
    kept: dict[str, str] = {}
    for alias in aliases:
        alias = " ".join(alias.split())
        if not alias:
            continue
        if len(alias) > NAME_MAX_LENGTH:
            errors["aliases"] = _("Keep each name to %(limit)d characters.") % {
                "limit": NAME_MAX_LENGTH
            }
            return
        kept.setdefault(product_key(alias), alias)
    if len(kept) > MAX_ALIASES:
        errors["aliases"] = _("Give at most %(limit)d other names.") % {"limit": MAX_ALIASES}
        return
    product.aliases = list(kept.values())


def _check_unique(product: Product, errors: dict[str, str]) -> None:
    others = Product.objects.exclude(pk=product.pk)
    if (
        product.code
        and "code" not in errors
        and others.annotate(code_lower=Lower("code"))
        .filter(code_lower=product.code.lower())
        .exists()
    ):
        errors["code"] = _("Another product already has the code “%(code)s”.") % {
            "code": product.code
        }
    if (
        product.external_id
        and "external_id" not in errors
        and others.filter(external_id=product.external_id).exists()
    ):
        errors["external_id"] = _("Another product already has this external id.")


def _check_aliases(product: Product, errors: dict[str, str]) -> None:
    """An alias may not name another product: not its name, code or one of its aliases.

    Also the other way round: a product named or coded as another's alias. Either would
    make an imported file's product cell match two products.
    """
    if "aliases" in errors or "name" in errors or "code" in errors:
        return
    own = {product_key(alias): alias for alias in product.aliases}
    own_names = {product_key(product.name), product_key(product.code)} - {""}
    own = {key: alias for key, alias in own.items() if key not in own_names}
    product.aliases = list(own.values())
    for other in Product.objects.exclude(pk=product.pk).only("name", "code", "aliases"):
        names = {product_key(other.name), product_key(other.code)} - {""}
        for key, alias in own.items():
            if key in names:
                errors["aliases"] = _("“%(alias)s” names another product, %(product)s.") % {
                    "alias": alias,
                    "product": other,
                }
                return
        for alias in other.aliases:
            key = product_key(alias)
            if key in own:
                errors["aliases"] = _("“%(alias)s” is already another name of %(product)s.") % {
                    "alias": own[key],
                    "product": other,
                }
                return
            if key in own_names:
                errors["name"] = _("%(product)s goes by “%(alias)s” already.") % {
                    "product": other,
                    "alias": alias,
                }
                return


def _save(product: Product, prices: dict[str, Decimal] | None) -> None:
    try:
        # A savepoint: a code taken by a concurrent save after our check is a field error.
        with transaction.atomic():
            product.save()
    except IntegrityError:
        errors: dict[str, str] = {}
        _check_unique(product, errors)
        if errors:
            raise ValidationError(errors) from None
        raise
    if prices is None:
        return
    product.prices.exclude(currency__in=prices).delete()
    existing = {price.currency: price for price in product.prices.all()}
    changed = []
    for code, unit_price in prices.items():
        price = existing.get(code)
        if price is None:
            changed.append(ProductPrice(product=product, currency=code, unit_price=unit_price))
        elif price.unit_price != unit_price:
            price.unit_price = unit_price
            price.save(update_fields=["unit_price"])
    ProductPrice.objects.bulk_create(changed)


@transaction.atomic
def create_product(
    *,
    by: User,
    name: str,
    code: str = "",
    description: str = "",
    prices: Mapping[str, object] | None = None,
    is_active: bool = True,
    external_id: str = "",
    aliases: list[str] | None = None,
) -> Product:
    """A new product with a unit price per currency (``{"EUR": "120.00"}``); admins only.

    ``aliases``: other names imported files give it ("ProX" for "Pro X"); none may name
    another product (its name, code or aliases), whatever the case and spaces.

    Raises PermissionDenied for anyone but an admin, ValidationError naming each bad field:
    a blank name, a code or external id another product has (codes compare without regard
    to case), a currency that is not an ISO code (``prices.<code>``), a negative price.
    """
    _require_admin(by)
    product = Product()
    errors: dict[str, str] = {}
    _apply_fields(
        product,
        {
            "name": name,
            "code": code,
            "description": description,
            "is_active": is_active,
            "external_id": external_id,
            "aliases": aliases or [],
        },
        errors,
    )
    cleaned = _clean_prices(prices or {}, errors)
    _check_unique(product, errors)
    _check_aliases(product, errors)
    if errors:
        raise ValidationError(errors)
    _save(product, cleaned)
    return product


@transaction.atomic
def update_product(
    *,
    by: User,
    product_id: int,
    fields: Mapping[str, object] | None = None,
    prices: Mapping[str, object] | None = None,
) -> Product:
    """Change the given fields of a product; ``prices``, when given, become its prices.

    Currencies left out of ``prices`` lose their price (line items already on deals keep
    theirs: a line item copies its price). ``prices`` None leaves them as they are. Raises
    Product.DoesNotExist, PermissionDenied and ValidationError as ``create_product`` does.
    """
    _require_admin(by)
    product = Product.objects.select_for_update().get(pk=product_id)
    errors: dict[str, str] = {}
    _apply_fields(product, fields or {}, errors)
    cleaned = None if prices is None else _clean_prices(prices, errors)
    _check_unique(product, errors)
    if fields and {"name", "code", "aliases"} & set(fields):
        _check_aliases(product, errors)
    if errors:
        raise ValidationError(errors)
    _save(product, cleaned)
    return product


def set_product_active(*, by: User, product_id: int, is_active: bool) -> Product:
    """Retire a product (no longer offered on new line items) or offer it again."""
    return update_product(by=by, product_id=product_id, fields={"is_active": is_active})


@transaction.atomic
def remove_product(*, by: User, product_id: int) -> bool:
    """Delete a product that no deal has; retire one that is sold. True when deleted."""
    _require_admin(by)
    product = Product.objects.select_for_update().get(pk=product_id)
    if LineItem.objects.filter(product=product).exists():
        if product.is_active:
            product.is_active = False
            product.save(update_fields=["is_active", "updated_at"])
        return False
    product.delete()
    return True
