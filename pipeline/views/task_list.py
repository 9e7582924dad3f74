"""The tasks list: every visible task, filtered by assignee and by the overdue flag.

What a dashboard's overdue-task count links to: ``?assignee=<id>&overdue=1`` lists
exactly the tasks that count, the open tasks the nightly check flagged overdue
(``TaskQuerySet.overdue``). Reads go through ``Task.objects.visible_to`` (the list
framework), so a task outside the viewer's scope is never listed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from contacts.views.contact_filters import OwnerFilterField, filter_by_owner, visible_owners
from core.lists import ListFilterForm, SearchableListView
from pipeline.models import Task


class TaskFilterForm(ListFilterForm):
    assignee = OwnerFilterField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    open = forms.BooleanField(label=_("Open only"), required=False)


class TaskListView(SearchableListView):
    model = Task
    form_class = TaskFilterForm
    template_name = "pipeline/task_list.html"
    partial_name = "task-table"
    search_fields = ("title",)
    sort_fields = {
        "title": ("title",),
        "due": ("due_at",),
        "assignee": ("assignee__last_name", "assignee__first_name"),
    }
    default_sort = "due"
    related = ("assignee", "opportunity", "lead", "contact", "company")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filters = self.filters
        queryset = filter_by_owner(queryset, filters.get("assignee"), self.request.user, "assignee")
        if filters.get("overdue"):
            queryset = queryset.overdue()
        if filters.get("open"):
            queryset = queryset.open()
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not self.is_fragment:
            context["assignees"] = visible_owners(self.request.user)
        return context
