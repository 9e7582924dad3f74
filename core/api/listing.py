"""Pagination and ordering shared by every list endpoint.

Large lists (deals, leads, contacts, touchpoints, tasks, notifications) page by cursor: a
page costs the same wherever it is, and rows inserted meanwhile never shift a page. Small
lists (pipelines, stages, users, quotas) page by number.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class StableOrderingFilter(OrderingFilter):
    """OrderingFilter that always ends with the primary key, in the first field's direction.

    Rows that tie on the requested field (two deals of the same value) then keep one order
    from request to request, which the cursor's offset within a tie relies on.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: APIView) -> Any:
        ordering = list(super().get_ordering(request, queryset, view) or ["-id"])
        if not any(field.lstrip("-") in {"id", "pk"} for field in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering


class CursorPage(CursorPagination):
    """Cursor pages of 50 (``page_size`` up to 200), newest first unless ``ordering`` says.

    Ordering fields must be non-null columns of the listed model: the cursor remembers the
    value of the first one.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)


class NumberedPage(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
