"""The product catalogue and a deal's line items.

Everyone signed in reads the active products (admins also the retired ones); only admins
write them. A deal's line items are read by whoever sees the deal and changed by whoever
may change it, each change with the deal's ``version`` (409 when someone changed the deal
first), through the services the deal panel uses.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import AdminWritesOnly
from core.api.errors import error_responses
from core.api.fields import MAX_ID
from core.api.listing import NumberedPage
from pipeline.api.serializers import MoveConflictSerializer
from pipeline.api.serializers.products import (
    LineItemCreateSerializer,
    LineItemSerializer,
    LineItemUpdateSerializer,
    LineItemVersionSerializer,
    ProductSerializer,
)
from pipeline.api.views.opportunities import conflict_response
from pipeline.models import LineItem, Opportunity, Product, ProductPrice
from pipeline.services import MoveConflict
from pipeline.services.line_items import add_line_item, change_line_item, remove_line_item
from pipeline.services.products import create_product, update_product

PRODUCT_EXAMPLE = OpenApiExample(
    "A product",
    value={
        "id": 3,
        "name": "Support plan",
        "code": "SUP-1",
        "description": "A year of support.",
        "is_active": True,
        "external_id": "",
        "prices": [
            {"currency": "EUR", "unit_price": "1200.00"},
            {"currency": "USD", "unit_price": "1300.00"},
        ],
        "created_at": "2026-11-02T09:15:00Z",
        "updated_at": "2026-11-20T14:00:00Z",
    },
    response_only=True,
)


def _prices(data: dict[str, Any]) -> dict[str, object] | None:
    if "prices" not in data:
        return None
    return {price["currency"]: price["unit_price"] for price in data["prices"]}


@extend_schema_view(
    list=extend_schema(
        summary="List products",
        description=(
            "The catalogue by name. Everyone sees the active products; admins also the "
            "retired ones (`is_active` false)."
        ),
        examples=[PRODUCT_EXAMPLE],
        responses={200: ProductSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a product",
        examples=[PRODUCT_EXAMPLE],
        responses={200: ProductSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Add a product (admins)",
        description=(
            "A product with a unit price per currency; `code` is unique, whatever the case."
        ),
        examples=[PRODUCT_EXAMPLE],
        responses={201: ProductSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a product (admins)",
        description=(
            "Change the fields sent. `prices`, when sent, become the product's prices "
            "(line items already on deals keep theirs). Retire a product with "
            "`is_active` false: products that were sold are never deleted."
        ),
        examples=[PRODUCT_EXAMPLE],
        responses={200: ProductSerializer, **error_responses(400, 404)},
    ),
)
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProductSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = NumberedPage
    ordering_fields = ["id", "name", "code", "updated_at"]
    ordering = ["name", "id"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Product]:
        # The catalogue is not customer data: no visibility rule, only retired ones hidden.
        products = Product.objects.prefetch_related(
            Prefetch("prices", queryset=ProductPrice.objects.order_by("currency"))
        )
        user = self.request.user
        return products if getattr(user, "is_admin", False) else products.active()

    def _answer(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.get_queryset().get(pk=pk)
        return Response(ProductSerializer(product).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        product = create_product(
            by=request.user,
            name=data["name"],
            code=data.get("code", ""),
            description=data.get("description", ""),
            is_active=data.get("is_active", True),
            external_id=data.get("external_id", ""),
            prices=_prices(data),
        )
        return self._answer(product.pk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        product = self.get_object()
        serializer = self.get_serializer(product, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        prices = _prices(data)
        data.pop("prices", None)
        update_product(by=request.user, product_id=product.pk, fields=data, prices=prices)
        return self._answer(product.pk)


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DEAL_PARAMETER = OpenApiParameter(
    "opportunity_id", ID_SCHEMA, OpenApiParameter.PATH, description="The deal's id."
)
ITEM_PARAMETER = OpenApiParameter(
    "id", ID_SCHEMA, OpenApiParameter.PATH, description="The line item's id."
)
VERSION_PARAMETER = OpenApiParameter(
    "version",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=True,
    description="The deal's version as you last read it; 409 if it changed.",
)
CONFLICT = OpenApiResponse(
    response=MoveConflictSerializer,
    description=(
        "`version` is not the deal's current version: someone changed it first. Nothing "
        "was written; `current` has the deal's version to retry with."
    ),
)
LINE_ITEM_EXAMPLE = OpenApiExample(
    "A line item",
    value={
        "id": 41,
        "opportunity": 812,
        "product": 3,
        "product_name": "Support plan",
        "quantity": "2.00",
        "unit_price": "1200.00",
        "discount": "10.00",
        "total": "2160.00",
        "position": 0,
        "created_at": "2026-11-20T14:00:00Z",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List a deal's line items",
        description="The products on the deal, in order; the deal's value is their total.",
        parameters=[DEAL_PARAMETER],
        examples=[LINE_ITEM_EXAMPLE],
        responses={200: LineItemSerializer(many=True), **error_responses(404)},
    ),
    retrieve=extend_schema(
        summary="Get a line item",
        parameters=[DEAL_PARAMETER, ITEM_PARAMETER],
        examples=[LINE_ITEM_EXAMPLE],
        responses={200: LineItemSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Add a product to a deal",
        description=(
            "An active product after the deal's other line items. Without `unit_price` the "
            "product's catalogue price in the deal's currency is taken (400 on `unit_price` "
            "when it has none). The deal's value becomes the total of its line items."
        ),
        parameters=[DEAL_PARAMETER],
        request=LineItemCreateSerializer,
        examples=[
            OpenApiExample(
                "Two at 10 % off",
                value={"product": 3, "quantity": "2", "discount": "10", "version": 4},
                request_only=True,
            ),
            LINE_ITEM_EXAMPLE,
        ],
        responses={201: LineItemSerializer, **error_responses(400, 404), 409: CONFLICT},
    ),
    partial_update=extend_schema(
        summary="Change a line item",
        description="Its quantity, unit price or discount; the deal's value follows.",
        parameters=[DEAL_PARAMETER, ITEM_PARAMETER],
        request=LineItemUpdateSerializer,
        examples=[LINE_ITEM_EXAMPLE],
        responses={200: LineItemSerializer, **error_responses(400, 404), 409: CONFLICT},
    ),
    destroy=extend_schema(
        summary="Remove a line item",
        description=(
            "Take the product off the deal. The deal's value is the total of the line items "
            "left; after the last one it keeps the value it had."
        ),
        parameters=[DEAL_PARAMETER, ITEM_PARAMETER, VERSION_PARAMETER],
        responses={204: None, **error_responses(400, 404), 409: CONFLICT},
    ),
)
class LineItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = LineItemSerializer
    pagination_class = None
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # Ordered by position: the order of the deal, not a list a client sorts or filters.
    filter_backends: list[Any] = []

    def _deal_pk(self) -> int:
        """The deal's id from the URL; 404 for one no row can have (the column is 64-bit)."""
        pk = int(self.kwargs["opportunity_id"])
        if not 1 <= pk <= MAX_ID:
            raise NotFound
        return pk

    def _deal_id(self) -> int:
        """The deal's id, if the user sees it; 404 otherwise."""
        deal_id = self._deal_pk()
        if not Opportunity.objects.visible_to(self.request.user).filter(pk=deal_id).exists():
            raise NotFound
        return deal_id

    def get_queryset(self) -> QuerySet[LineItem]:
        if getattr(self, "swagger_fake_view", False):
            return LineItem.objects.none()
        return (
            LineItem.objects.visible_to(self.request.user)
            .filter(opportunity_id=self._deal_pk())
            .select_related("product")
            .order_by("position", "pk")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._deal_id()
        return super().list(request, *args, **kwargs)

    def _answer(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(LineItemSerializer(self.get_queryset().get(pk=pk)).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deal_id = self._deal_id()
        params = LineItemCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            item = add_line_item(
                by=request.user,
                opportunity_id=deal_id,
                version=data["version"],
                product=data["product"],
                quantity=data["quantity"],
                unit_price=data.get("unit_price"),
                discount=data.get("discount", 0),
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        return self._answer(item.pk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        params = LineItemUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = dict(params.validated_data)
        version = data.pop("version")
        try:
            change_line_item(
                by=request.user,
                opportunity_id=item.opportunity_id,
                version=version,
                line_item_id=item.pk,
                fields=data,
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        return self._answer(item.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        params = LineItemVersionSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            remove_line_item(
                by=request.user,
                opportunity_id=item.opportunity_id,
                version=params.validated_data["version"],
                line_item_id=item.pk,
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        return Response(status=status.HTTP_204_NO_CONTENT)
