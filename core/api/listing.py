"""Pagination and ordering shared by every list endpoint.

Large lists (deals, leads, contacts, touchpoints, tasks, notifications) page by cursor: a
page costs the same wherever it is, and rows inserted meanwhile never shift a page. Small
lists (pipelines, stages, users, quotas) page by number.

Both refuse what they cannot follow instead of guessing: an ``ordering`` field the list
does not offer, or a ``page_size`` that is not a whole number of at least 1, is a 400
naming the parameter; a cursor whose position is not a value of its sort column (a
tampered or hand-made cursor) is DRF's "Invalid cursor" 404, as an unreadable cursor
already was and an out-of-range page number is ("Invalid page."). A page size above the
list's maximum is capped, as documented.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import connections
from django.db.models import Field, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


def _descending(term: str) -> bool:
    return term.startswith("-")


class StableOrderingFilter(OrderingFilter):
    """OrderingFilter that refuses unknown fields and always ends with the primary key.

    Rows that tie on the requested field (two deals of the same value) then keep one order
    from request to request, which the cursor's offset within a tie relies on.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> Any:
        ordering = list(super().get_ordering(request, queryset, view) or ["-id"])
        if not any(field.lstrip("-") in {"id", "pk"} for field in ordering):
            ordering.append("-id" if _descending(ordering[0]) else "id")
        return ordering

    def remove_invalid_fields(
        self, queryset: QuerySet, fields: list[str], view: APIView, request: Request
    ) -> list[str]:
        """All of ``fields`` if the list offers each; a 400 naming the allowed ones if not."""
        allowed = self._allowed(queryset, view, request)
        unknown = [term for term in fields if term.removeprefix("-") not in allowed]
        if unknown:
            message = _(
                "Cannot sort by %(unknown)s. Sort by one or more of %(allowed)s, separated "
                "by commas; a leading - sorts in descending order."
            ) % {
                "unknown": ", ".join(repr(term) for term in unknown),
                "allowed": ", ".join(allowed),
            }
            raise exceptions.ValidationError({self.ordering_param: [message]})
        return fields

    def _allowed(self, queryset: QuerySet | None, view: APIView, request: Any = None) -> list[str]:
        context = {"request": request}
        return [name for name, _label in self.get_valid_fields(queryset, view, context)]

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        if getattr(view, "ordering_fields", None) is None:
            raise ImproperlyConfigured(f"{type(view).__name__} must list its ordering_fields.")
        terms = [term for name in self._allowed(None, view) for term in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _(
                    "Fields to sort by, separated by commas; a leading - sorts in descending "
                    "order. Ties are broken by id. An unknown field answers 400."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": terms}},
                "style": "form",
                "explode": False,
            }
        ]


class StrictPageSizeMixin:
    """``page_size`` as DRF reads it, but a bad value is a 400 rather than silently ignored."""

    page_size: int
    page_size_query_param: str
    max_page_size: int

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            message = _("Enter a whole number of at least 1 (at most %(max)d are sent).")
            raise exceptions.ValidationError(
                {self.page_size_query_param: [message % {"max": self.max_page_size}]}
            )
        return min(size, self.max_page_size)

    def with_minimums(self, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The pagination parameters DRF documents, with the bounds this class enforces."""
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = _(
                    "Number of results to return per page; at most %(max)d are sent."
                ) % {"max": self.max_page_size}
        return parameters


class CursorPage(StrictPageSizeMixin, CursorPagination):
    """Cursor pages of 50 (``page_size`` up to 200), newest first unless ``ordering`` says.

    Ordering fields must be non-null columns of the listed model: the cursor remembers the
    value of the first one, and a cursor is followed only if that value is one the column
    can hold.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        cursor, *sizes = super().get_schema_operation_parameters(view)
        cursor["description"] = _(
            "Where the page starts: follow the next and previous links. A cursor this list "
            "did not give out answers 404 (Invalid cursor)."
        )
        return [cursor, *self.with_minimums(sizes)]

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.listed = queryset
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        position = None if cursor is None else cursor.position
        if position is not None and not self._column_holds(self._sort_field(), position):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def _sort_field(self) -> Field:
        name = self.ordering[0].lstrip("-")
        meta = self.listed.model._meta
        try:
            return meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"Cursor pages sort by columns, not {name!r}.") from None

    def _column_holds(self, field: Field, position: str) -> bool:
        """Whether ``position`` converts, as the field itself converts input, to its column.

        The field's ``to_python`` parses the text, its validators check the range (an
        integer column's bounds, a decimal's digits) and ``get_db_prep_value`` adapts it
        for this database, so the filter on it cannot fail in the database instead.
        """
        if "\x00" in position:
            return False  # no PostgreSQL column, of any type, takes a NUL character
        try:
            value = field.to_python(position)
            field.run_validators(value)
            field.get_db_prep_value(value, connection=connections[self.listed.db])
        except (ValidationError, ValueError, TypeError, OverflowError, ArithmeticError):
            return False
        return value is not None


class NumberedPage(StrictPageSizeMixin, PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return self.with_minimums(super().get_schema_operation_parameters(view))
