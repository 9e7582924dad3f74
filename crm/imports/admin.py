"""Imports in the admin: to look into one that went wrong, never to change what happened."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from crm.imports.models import ColumnMapping, ImportChunk, ImportJob, ImportRejection, RejectedRow


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the import pages and the worker write; deletable one at a time, never in bulk."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and super().has_delete_permission(request, obj)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "file_name",
        "kind",
        "status",
        "created_by",
        "created_at",
        "rows_total",
        "created_count",
        "updated_count",
        "rejected_count",
    )
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    search_fields = ("file_name", "created_by__username")
    date_hierarchy = "created_at"


@admin.register(ImportRejection)
class ImportRejectionAdmin(ReadOnlyAdmin):
    list_display = ("job", "line", "field", "message")
    list_select_related = ("job",)
    search_fields = ("message",)


@admin.register(RejectedRow)
class RejectedRowAdmin(ReadOnlyAdmin):
    list_display = ("job", "line")
    list_select_related = ("job",)


@admin.register(ImportChunk)
class ImportChunkAdmin(ReadOnlyAdmin):
    list_display = ("job", "index", "size")
    list_select_related = ("job",)
    # The bytes themselves are no use on a page; their size says whether the upload arrived.
    fields = ("job", "index", "size")
    readonly_fields = ("size",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportChunk]:
        return super().get_queryset(request).defer("data").annotate(data_size=Length("data"))

    @admin.display(description=_("size (bytes)"), ordering="data_size")
    def size(self, chunk: ImportChunk) -> int:
        return chunk.data_size  # type: ignore[attr-defined]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "header_signature", "updated_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
