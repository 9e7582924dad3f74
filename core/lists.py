"""The shared list page: visible records with search, filters, sorting, pagination, CSV.

Each list is one view that serves both the full page and, for htmx requests, only the
table fragment (``template.html#<name>-table``), so the search box can swap the table
while the same URL still works as a plain link or form submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from core.csv_export import CsvColumn, CustomValueColumn, csv_response
from core.custom_fields.kinds import Lookup, filter_q, lookups_for
from core.custom_fields.list_controls import (
    FILTER_PREFIX,
    cell_values,
    column_fields,
    filter_controls,
)
from core.custom_fields.models import CustomFieldDefinition
from core.htmx import HtmxHttpRequest, is_fragment_request

PAGE_SIZE = 50


class ListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.CharField(required=False, max_length=40)


def search_q(terms: str, fields: tuple[str, ...]) -> Q:
    """Every word must appear in at least one of ``fields``: "ada acme" finds Ada at Acme."""
    condition = Q()
    for word in terms.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


class SearchableListView(LoginRequiredMixin, ListView):
    """A visible-records list; subclasses name the model, search fields and sort keys."""

    model: type[Model]
    request: HtmxHttpRequest
    paginate_by = PAGE_SIZE
    form_class: type[ListFilterForm] = ListFilterForm
    search_fields: ClassVar[tuple[str, ...]] = ()
    # Sort key in the URL -> model fields; "-key" in the URL reverses every field.
    sort_fields: ClassVar[dict[str, tuple[str, ...]]] = {}
    default_sort: ClassVar[str] = ""
    related: ClassVar[tuple[str, ...]] = ()
    partial_name: ClassVar[str] = ""
    # The CSV export of the same filtered list: ``as_view(export=True)``.
    export = False
    export_columns: ClassVar[tuple[CsvColumn, ...]] = ()
    export_filename: ClassVar[str] = "export"

    # A CSV export streams, so the answer is not always an HttpResponse.
    def get(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse | StreamingHttpResponse:
        self.form = self.form_class(request.GET)
        self.filters = self.form.cleaned_data if self.form.is_valid() else {}
        if self.export:
            columns = (*self.export_columns, *self.custom_field_columns())
            return csv_response(self.export_filename, columns, self.get_queryset())
        response = super().get(request, *args, **kwargs)
        # Browsers and caches must not serve the fragment for the page, or the reverse.
        patch_vary_headers(response, ["HX-Request"])
        return response

    @property
    def is_fragment(self) -> bool:
        return is_fragment_request(self.request)

    def get_sort(self) -> str:
        sort = self.filters.get("sort") or self.default_sort
        return sort if sort.lstrip("-") in self.sort_fields else self.default_sort

    def get_ordering(self) -> list[str]:
        sort = self.get_sort()
        descending = sort.startswith("-")
        fields = [*self.sort_fields[sort.lstrip("-")], "pk"]
        return [f"-{name}" if descending else name for name in fields]

    def custom_field_definitions(self) -> Sequence[CustomFieldDefinition]:
        """The record's active custom fields (an app's list names them); none by default."""
        return ()

    @cached_property
    def active_custom_fields(self) -> list[CustomFieldDefinition]:
        """The definitions, read once for the filters, the columns and the export."""
        return list(self.custom_field_definitions())

    def custom_field_columns(self) -> list[CsvColumn]:
        """One export column per custom field, after the list's own."""
        return [
            CustomValueColumn(definition.label, definition.key, definition.kind)
            for definition in self.active_custom_fields
        ]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """Hook for filters beyond the search box."""
        return queryset

    def get_queryset(self) -> QuerySet:
        visible = self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined]
        queryset = visible.select_related(*self.related)
        terms = self.filters.get("q", "")
        if terms:
            queryset = queryset.filter(search_q(terms, self.search_fields))
        queryset = self.filter_custom_fields(queryset)
        return self.filter_queryset(queryset).order_by(*self.get_ordering())

    def filter_custom_fields(self, queryset: QuerySet) -> QuerySet:
        """Filters by custom field from the URL: ``cf.<key>=<value>`` (the kind's first
        lookup: "contains" for text and several choices, else "is"), or
        ``cf.<key>.<lookup>=<value>`` (``eq``, ``contains``, ``gte``, ``lte``, ``set``).
        A value the field cannot take filters nothing out, as other list filters do."""
        params = self.request.GET
        if not any(name.startswith(FILTER_PREFIX) for name in params):
            return queryset
        vendor = connections[queryset.db].vendor
        for definition in self.active_custom_fields:
            name = f"{FILTER_PREFIX}{definition.key}"
            for param, value in params.items():
                if param != name and not param.startswith(f"{name}."):
                    continue
                lookup = param[len(name) + 1 :] or lookups_for(definition.kind)[0]
                if value == "" and lookup != Lookup.IS_SET:
                    continue
                try:
                    condition = filter_q(
                        definition.kind,
                        definition.key,
                        lookup,
                        value,
                        choices=definition.choice_list,
                        vendor=vendor,
                    )
                except ValidationError:
                    continue
                queryset = queryset.filter(condition)
        return queryset

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet, page_size: int
    ) -> tuple[Paginator, Page, Any, bool]:
        # get_page, not page: a stale or hand-edited page number shows the nearest page
        # instead of a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        if self.is_fragment:
            return [f"{names[0]}#{self.partial_name}"]
        return names

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(form=self.form, sort=self.get_sort(), is_fragment=self.is_fragment)
        columns = column_fields(self.active_custom_fields)
        # The page's rows are a list by now (Page converts its slice), so each record
        # carries its cells into the template without another query. Records of a model
        # without custom fields (tasks) have no columns, and nothing to carry.
        for record in context["page_obj"] if columns else ():
            record.custom_cells = cell_values(columns, record.custom_fields)
        context["custom_columns"] = columns
        if not self.is_fragment:
            context["custom_filters"] = filter_controls(self.active_custom_fields, self.request.GET)
        return context
