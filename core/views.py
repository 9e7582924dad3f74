"""Views for administrators only: the settings pages and their endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import HttpRequest
from django.views import View
from django_htmx.middleware import HtmxDetails


class AdminRequest(HttpRequest):
    """What admin pages get: a signed-in user (the mixin checks) and django-htmx's details."""

    user: Any
    htmx: HtmxDetails


class AdminOnlyMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Admins only: anonymous users go to the login page, everyone else gets 403.

    The user model says who is an admin (``is_admin``); core does not know its rules.
    """

    def test_func(self) -> bool:
        # Runs after LoginRequiredMixin has turned anonymous users away.
        user = self.request.user  # type: ignore[attr-defined]
        return bool(user.is_admin)


class AdminView(AdminOnlyMixin, View):
    """A settings page or endpoint for admins."""

    request: AdminRequest
