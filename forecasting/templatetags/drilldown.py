"""``{% deals_url owner=... stale="on" %}``: the deals list behind a dashboard figure.

The link keeps the dashboard's own filters (pipeline, team, rep as owner) and carries
``next``, the dashboard exactly as it is, for the list's "Back to dashboard" link.
``{% overdue_tasks_url %}``: the tasks list behind an overdue-task count (a count of
tasks, not of deals).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def deals_url(context: template.Context, **filters: Any) -> str:
    scope = context["scope"]
    query: dict[str, Any] = {}
    if scope.pipeline_id is not None:
        query["pipeline"] = scope.pipeline_id
    if scope.team_id is not None:
        query["team"] = scope.team_id
    if scope.rep_id is not None:
        query["owner"] = scope.rep_id
    elif not (scope.user.is_manager or scope.user.is_admin):
        query["owner"] = scope.user.pk
    query.update({key: value for key, value in filters.items() if value not in (None, "")})
    query["next"] = context["request"].get_full_path()
    return f"{reverse('pipeline:deal_list')}?{urlencode(query)}"


@register.simple_tag(takes_context=True)
def overdue_tasks_url(context: template.Context, assignee: int | None = None) -> str:
    """The overdue tasks of ``assignee``, else of the seller whose dashboard this is."""
    if assignee is None:
        scope = context["scope"]
        assignee = scope.rep_id if scope.rep_id is not None else scope.user.pk
    return f"{reverse('pipeline:task_list')}?{urlencode({'assignee': assignee, 'overdue': 1})}"
