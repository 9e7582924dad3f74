"""Users (whom a record may be assigned to) and the user's own notifications."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.filters import NotificationFilter, UserFilter
from accounts.api.serializers import (
    NotificationSerializer,
    ReadAllResultSerializer,
    UserSerializer,
)
from accounts.models import Notification, User
from accounts.services.notifications import mark_all_notifications_read, mark_notification_read
from accounts.visibility import visible_users
from core.api.errors import error_responses
from core.api.listing import CursorPage, NumberedPage

USER_EXAMPLE = OpenApiExample(
    "A rep",
    value={
        "id": 7,
        "username": "alice",
        "name": "Alice Example",
        "email": "alice@example.com",
        "role": "rep",
        "team": 2,
        "team_name": "North",
        "time_zone": "Europe/Berlin",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List users",
        description=(
            "Active users you can see: a rep sees themselves and their team, a manager their "
            "own and managed teams, an admin everyone. Whom you may *assign* a record to is "
            "narrower (a rep: only themselves); the write endpoints say so with a 400."
        ),
        examples=[USER_EXAMPLE],
        responses={200: UserSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a user",
        examples=[USER_EXAMPLE],
        responses={200: UserSerializer, **error_responses(404)},
    ),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UserSerializer
    pagination_class = NumberedPage
    filterset_class = UserFilter
    ordering_fields = ["id", "username", "last_name"]
    ordering = ["username"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[User]:
        return visible_users(self.request.user).select_related("team")

    @extend_schema(
        summary="The signed-in user",
        examples=[USER_EXAMPLE],
        responses={200: UserSerializer, **error_responses()},
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def me(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


NOTIFICATION_EXAMPLE = OpenApiExample(
    "A stale deal",
    value={
        "id": 31,
        "kind": "stale_deal",
        "message": "Acme renewal has not moved for 21 days.",
        "url": "/deals/812/",
        "created_at": "2026-11-23T06:00:00Z",
        "read_at": None,
        "is_read": False,
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List my notifications",
        description="Your own notifications, newest first. Nobody reads another user's.",
        examples=[NOTIFICATION_EXAMPLE],
        responses={200: NotificationSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a notification",
        examples=[NOTIFICATION_EXAMPLE],
        responses={200: NotificationSerializer, **error_responses(404)},
    ),
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = NotificationSerializer
    pagination_class = CursorPage
    filterset_class = NotificationFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-created_at"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Mark a notification read",
        description="Marking a read notification again keeps its first read time.",
        request=None,
        examples=[NOTIFICATION_EXAMPLE],
        responses={200: NotificationSerializer, **error_responses(404)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = mark_notification_read(notification=self.get_object(), by=request.user)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        examples=[OpenApiExample("Three marked", value={"marked_read": 3}, response_only=True)],
        responses={200: ReadAllResultSerializer, **error_responses()},
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request: Request) -> Response:
        marked = mark_all_notifications_read(by=request.user)
        return Response({"marked_read": marked})
