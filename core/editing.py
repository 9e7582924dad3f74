"""Whether the user may change each record of a list, read with the list itself."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, Case, QuerySet, Value, When


def with_can_edit(queryset: QuerySet, user: AbstractBaseUser) -> QuerySet:
    """Annotate ``can_edit`` from the model's ``editable_by`` rule, in the same query.

    The model's manager has ``editability_q(user)``: a condition, or None when the user may
    change every row.
    """
    condition = queryset.model.objects.editability_q(user)
    if condition is None:
        return queryset.annotate(can_edit=Value(True, output_field=BooleanField()))
    return queryset.annotate(
        can_edit=Case(
            When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
