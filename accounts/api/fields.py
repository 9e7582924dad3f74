"""The user field of request bodies: whom the acting user may assign a record to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.api.fields import RecordIdField


class UserChoiceField(RecordIdField):
    """A user by id, chosen among ``users_for(request.user)``: whom the actor may assign."""

    default_error_messages = {
        "does_not_exist": _("You may not assign this to user {pk_value}."),
    }

    def __init__(self, users_for: Callable[[User], QuerySet[User]], **kwargs: Any) -> None:
        self.users_for = users_for
        kwargs.setdefault("queryset", User.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[User]:
        return self.users_for(self.context["request"].user)
