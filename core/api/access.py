"""How API views find records: through ``visible_to`` to read, ``editable_by`` to change.

A record the user cannot see answers 404, exactly as if it did not exist; a record they
can see but not change (a teammate's deal) answers 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class VisibleRecordsMixin:
    """For viewsets over a model whose queryset has ``visible_to`` and ``editable_by``.

    ``with_related`` adds the joins the serializer needs, so that a list costs the same
    number of queries at any length.
    """

    model: type[Model]
    not_editable_message = _("You may see this record but not change it.")

    def get_queryset(self) -> QuerySet:
        visible = self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined]
        return self.with_related(visible)

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_editable_object(self) -> Any:
        """The record named in the URL if the user may change it; 404 or 403 otherwise."""
        record = self.get_object()  # type: ignore[attr-defined]
        editable = self.model.objects.editable_by(self.request.user)  # type: ignore[attr-defined]
        if not editable.filter(pk=record.pk).exists():
            raise PermissionDenied(self.not_editable_message)
        return record


class AdminWritesOnly(BasePermission):
    """Everyone signed in reads; only admins write (configuration such as quotas)."""

    message = _("Only administrators may change this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.is_admin
