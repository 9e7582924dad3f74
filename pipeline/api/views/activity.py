"""Touchpoints (what happened) and tasks (what is due) on deals, leads, contacts, companies.

Written through ``log_touchpoint``, ``add_task``, ``complete_task`` and ``reopen_task``:
the same rules as the deal panel (see ``pipeline.services.activity``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import VisibleRecordsMixin
from core.api.errors import error_responses
from core.api.listing import CursorPage
from pipeline.api.filters import TaskFilter, TouchpointFilter
from pipeline.api.serializers import TaskSerializer, TouchpointSerializer
from pipeline.models import Task, Touchpoint
from pipeline.services import add_task, complete_task, log_touchpoint, reopen_task


def _id(record: Any) -> int | None:
    return None if record is None else record.pk


TOUCHPOINT_EXAMPLE = OpenApiExample(
    "A call",
    value={
        "id": 5120,
        "kind": "call",
        "at": "2026-11-20T14:00:00Z",
        "outcome": "connected",
        "summary": "Agreed to send a revised proposal by Friday.",
        "opportunity": 812,
        "lead": None,
        "contact": 95,
        "company": None,
        "external_id": "",
        "by": 7,
        "by_name": "Alice Example",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List touchpoints",
        description=(
            "Calls, emails, meetings and notes about deals, leads, contacts and companies you "
            "can see, newest first. Filter by `opportunity`, `lead`, `contact`, `company`, "
            "`by`, `kind`, and "
            "a time range (`at_after`, `at_before`)."
        ),
        examples=[TOUCHPOINT_EXAMPLE],
        responses={200: TouchpointSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a touchpoint",
        examples=[TOUCHPOINT_EXAMPLE],
        responses={200: TouchpointSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Log a touchpoint",
        description=(
            "Record a call, email, meeting or note about at least one deal, lead, contact or "
            "company you can see. `at` defaults to now and may not be in the future. A deal's last "
            "touch moves forward; a lead's calls and emails count as contact attempts."
        ),
        examples=[
            OpenApiExample(
                "A call on a deal",
                value={
                    "kind": "call",
                    "outcome": "connected",
                    "opportunity": 812,
                    "summary": "Agreed to send a revised proposal by Friday.",
                },
                request_only=True,
            ),
            TOUCHPOINT_EXAMPLE,
        ],
        responses={201: TouchpointSerializer, **error_responses(400)},
    ),
)
class TouchpointViewSet(
    VisibleRecordsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    model = Touchpoint
    serializer_class = TouchpointSerializer
    pagination_class = CursorPage
    filterset_class = TouchpointFilter
    ordering_fields = ["id", "at"]
    ordering = ["-at"]
    lookup_value_regex = "[0-9]+"

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("by")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        touchpoint = log_touchpoint(
            by=request.user,
            kind=data["kind"],
            at=data.get("at"),
            outcome=data.get("outcome", ""),
            summary=data.get("summary", ""),
            opportunity_id=_id(data.get("opportunity")),
            lead_id=_id(data.get("lead")),
            contact_id=_id(data.get("contact")),
            company_id=_id(data.get("company")),
        )
        return Response(self.get_serializer(touchpoint).data, status=status.HTTP_201_CREATED)


TASK_EXAMPLE = OpenApiExample(
    "A task",
    value={
        "id": 930,
        "title": "Send the revised proposal",
        "notes": "",
        "due_at": "2026-11-27T16:00:00Z",
        "done_at": None,
        "is_done": False,
        "overdue_since": None,
        "assignee": 7,
        "assignee_name": "Alice Example",
        "opportunity": 812,
        "lead": None,
        "contact": None,
        "company": None,
        "external_id": "",
        "created_by": 7,
        "created_at": "2026-11-20T14:05:00Z",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List tasks",
        description=(
            "Tasks about records you can see, or assigned to you, by due time. Filter by "
            "`assignee`, `opportunity`, `lead`, `contact`, `company`, `is_done`, `is_overdue` "
            "and a due "
            "range (`due_after`, `due_before`)."
        ),
        examples=[TASK_EXAMPLE],
        responses={200: TaskSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a task",
        examples=[TASK_EXAMPLE],
        responses={200: TaskSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Add a task",
        description=(
            "A task about at least one deal, lead, contact or company you can see. `assignee` "
            "defaults to you; a rep assigns only themselves, a manager their teams, an admin "
            "anyone (400 naming `assignee` otherwise)."
        ),
        examples=[
            OpenApiExample(
                "Follow up on a deal",
                value={
                    "title": "Send the revised proposal",
                    "due_at": "2026-11-27T16:00:00Z",
                    "opportunity": 812,
                },
                request_only=True,
            ),
            TASK_EXAMPLE,
        ],
        responses={201: TaskSerializer, **error_responses(400)},
    ),
)
class TaskViewSet(
    VisibleRecordsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    model = Task
    serializer_class = TaskSerializer
    pagination_class = CursorPage
    filterset_class = TaskFilter
    ordering_fields = ["id", "due_at", "created_at"]
    ordering = ["due_at"]
    lookup_value_regex = "[0-9]+"

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("assignee")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task = add_task(
            by=request.user,
            title=data["title"],
            due_at=data["due_at"],
            assignee=data.get("assignee"),
            notes=data.get("notes", ""),
            opportunity_id=_id(data.get("opportunity")),
            lead_id=_id(data.get("lead")),
            contact_id=_id(data.get("contact")),
            company_id=_id(data.get("company")),
        )
        return Response(self._read(task.pk), status=status.HTTP_201_CREATED)

    def _read(self, pk: int) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        summary="Complete a task",
        description=(
            "Mark the task done now. Completing a done task changes nothing. Only the "
            "assignee, their manager or an admin may (403 for a teammate)."
        ),
        request=None,
        examples=[TASK_EXAMPLE],
        responses={200: TaskSerializer, **error_responses(404)},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        task = complete_task(by=request.user, task_id=int(pk))
        return Response(self._read(task.pk))

    @extend_schema(
        summary="Reopen a task",
        description="Undo a completion. Reopening an open task changes nothing.",
        request=None,
        examples=[TASK_EXAMPLE],
        responses={200: TaskSerializer, **error_responses(404)},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        task = reopen_task(by=request.user, task_id=int(pk))
        return Response(self._read(task.pk))
