"""The buying team in the API: a deal's contacts with their roles, and the roles themselves.

``/api/opportunities/<id>/contacts/`` lists a visible deal's team and adds to it;
``.../contacts/<member id>/`` changes a member's role, makes them primary, or removes them.
Every write is the panel's service (permission, optional ``version``: 409 when the deal
changed since, history). ``/api/buying-roles/``: everyone reads, admins write; a DELETE
retires a role in use and deletes one nobody has.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import AdminWritesOnly
from core.api.errors import error_responses
from pipeline.api.serializers import MoveConflictSerializer
from pipeline.api.serializers.buying_team import (
    BuyingRoleSerializer,
    BuyingRoleWriteSerializer,
    DealContactAddSerializer,
    DealContactChangeSerializer,
    DealContactRemoveSerializer,
    DealContactSerializer,
)
from pipeline.api.views.opportunities import conflict_response
from pipeline.models import BuyingRole, DealContact, Opportunity
from pipeline.services import MoveConflict
from pipeline.services import buying_roles as role_services
from pipeline.services import buying_team as team_services

CONFLICT = OpenApiResponse(
    response=MoveConflictSerializer,
    description="`version` is not the deal's current version: someone changed it first.",
)
MEMBER_EXAMPLE = OpenApiExample(
    "A decision maker",
    value={
        "id": 31,
        "contact": 95,
        "contact_name": "Ann Lee",
        "role": 1,
        "role_name": "Decision maker",
        "decides": True,
        "is_primary": True,
        "created_at": "2026-11-30T09:15:00Z",
    },
    response_only=True,
)
TEAM_EXAMPLE = OpenApiExample(
    "A buying team",
    value=[MEMBER_EXAMPLE.value],
    response_only=True,
)
ROLE_EXAMPLE = OpenApiExample(
    "A role that decides",
    value={"id": 1, "name": "Decision maker", "decides": True, "position": 1, "is_active": True},
    response_only=True,
)
ROLES_EXAMPLE = OpenApiExample("The roles", value=[ROLE_EXAMPLE.value], response_only=True)
WRITE_ERRORS = {**error_responses(400, 404), 409: CONFLICT}
VERSION_PARAMETER = OpenApiParameter(
    "version",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description="The deal's version you saw; when given, a deal changed since answers 409.",
)


def _team(request: Request, deal_id: int) -> QuerySet[DealContact]:
    """The team of a deal the user can see (404 otherwise), with what the serializer shows."""
    deal = get_object_or_404(Opportunity.objects.visible_to(request.user).only("pk"), pk=deal_id)
    return (
        DealContact.objects.filter(opportunity=deal)
        .select_related("contact", "role")
        .order_by("-is_primary", "pk")
    )


def _member(request: Request, deal_id: int, member_id: int) -> Response:
    member = get_object_or_404(_team(request, deal_id), pk=member_id)
    return Response(DealContactSerializer(member).data)


class DealContactsView(generics.GenericAPIView):
    serializer_class = DealContactSerializer
    pagination_class = None
    # A deal's team is short and in one order: primary first, then as added.
    filter_backends: list[type] = []

    @extend_schema(
        summary="List a deal's buying team",
        description="The contacts on the deal with their roles, the primary one first.",
        examples=[TEAM_EXAMPLE],
        responses={200: DealContactSerializer(many=True), **error_responses(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(DealContactSerializer(_team(request, pk), many=True).data)

    @extend_schema(
        summary="Add a contact to a deal's buying team",
        description=(
            "Any contact you can see, with an active role or none. `is_primary` makes them "
            "the deal's contact (they must work at the deal's company, if it has one)."
        ),
        request=DealContactAddSerializer,
        examples=[
            OpenApiExample(
                "Add a decision maker",
                value={"contact": 95, "role": 1, "is_primary": True, "version": 4},
                request_only=True,
            ),
            MEMBER_EXAMPLE,
        ],
        responses={201: DealContactSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        params = DealContactAddSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            member = team_services.add_deal_contact(
                by=request.user,
                opportunity_id=pk,
                version=data.get("version"),
                contact_id=data["contact"],
                role_id=data.get("role"),
                is_primary=data["is_primary"],
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        answer = _member(request, pk, member.pk)
        answer.status_code = status.HTTP_201_CREATED
        return answer


class DealContactView(generics.GenericAPIView):
    serializer_class = DealContactSerializer
    filter_backends: list[type] = []

    @extend_schema(
        summary="Change a member of a deal's buying team",
        description="Give them another role (`role`, null for none), or make them primary.",
        request=DealContactChangeSerializer,
        examples=[
            OpenApiExample("New role", value={"role": 3, "version": 5}, request_only=True),
            MEMBER_EXAMPLE,
        ],
        responses={200: DealContactSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int, member_pk: int) -> Response:
        params = DealContactChangeSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        get_object_or_404(_team(request, pk), pk=member_pk)
        version = data.get("version")
        try:
            if "role" in data:
                team_services.change_deal_contact_role(
                    by=request.user,
                    opportunity_id=pk,
                    version=version,
                    member_id=member_pk,
                    role_id=data["role"],
                )
                # The version moved on with the first change: the second is the same edit.
                version = None
            if data.get("is_primary"):
                team_services.make_primary_deal_contact(
                    by=request.user, opportunity_id=pk, version=version, member_id=member_pk
                )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        return _member(request, pk, member_pk)

    @extend_schema(
        summary="Remove a member from a deal's buying team",
        description="Removing the primary clears the deal's contact.",
        parameters=[VERSION_PARAMETER],
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request: Request, pk: int, member_pk: int) -> Response:
        params = DealContactRemoveSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        get_object_or_404(_team(request, pk), pk=member_pk)
        try:
            team_services.remove_deal_contact(
                by=request.user,
                opportunity_id=pk,
                version=params.validated_data.get("version"),
                member_id=member_pk,
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List buying roles",
        description="Every role in order, retired ones (`is_active` false) included.",
        examples=[ROLES_EXAMPLE],
        responses={200: BuyingRoleSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a buying role",
        examples=[ROLE_EXAMPLE],
        responses={200: BuyingRoleSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Add a buying role (admins)",
        request=BuyingRoleWriteSerializer,
        examples=[
            OpenApiExample(
                "New role", value={"name": "Sponsor", "decides": True}, request_only=True
            ),
            ROLE_EXAMPLE,
        ],
        responses={201: BuyingRoleSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a buying role (admins)",
        description=(
            "Rename it, mark it as deciding, or offer a retired one again (`is_active: true`). "
            "`is_active: false` retires it as DELETE does: a role nobody has is deleted (404)."
        ),
        request=BuyingRoleWriteSerializer,
        examples=[
            OpenApiExample("Retire", value={"is_active": False}, request_only=True),
            ROLE_EXAMPLE,
        ],
        responses={200: BuyingRoleSerializer, **error_responses(400, 404)},
    ),
    destroy=extend_schema(
        summary="Retire a buying role (admins)",
        description="A role in use is retired (the teams keep it); one nobody has is deleted.",
        responses={204: None, **error_responses(404)},
    ),
)
class BuyingRoleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = BuyingRole.objects.all()
    serializer_class = BuyingRoleSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = None
    ordering_fields = ["position", "name", "id"]
    ordering = ["position", "name"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = BuyingRoleWriteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "name" not in data:
            return Response({"name": ["This field is required."]}, status=400)
        role = role_services.add_buying_role(
            by=request.user,
            name=data["name"],
            decides=data.get("decides", False),
            is_active=data.get("is_active", True),
        )
        return Response(BuyingRoleSerializer(role).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        role = self.get_object()
        params = BuyingRoleWriteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        by = request.user
        if "name" in data:
            role_services.rename_buying_role(by=by, role_id=role.pk, name=data["name"])
        if "decides" in data:
            role_services.set_buying_role_decides(by=by, role_id=role.pk, decides=data["decides"])
        if data.get("is_active") is True:
            role_services.restore_buying_role(by=by, role_id=role.pk)
        elif data.get("is_active") is False:
            role_services.retire_buying_role(by=by, role_id=role.pk)
        role = get_object_or_404(BuyingRole, pk=role.pk)
        return Response(BuyingRoleSerializer(role).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        role = self.get_object()
        role_services.retire_buying_role(by=request.user, role_id=role.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
