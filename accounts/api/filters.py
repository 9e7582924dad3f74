"""Filters of the user and notification lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Notification, NotificationKind, Role, User
from core.api.filters import BooleanFilter, IdFilter, UtcDateTimeFilter


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    team = IdFilter()

    class Meta:
        model = User
        fields = ["role", "team"]


class NotificationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    is_read = BooleanFilter(
        field_name="read_at", lookup_expr="isnull", exclude=True, label=_("Read")
    )
    created_since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Notification
        fields = ["kind", "is_read", "created_since"]
