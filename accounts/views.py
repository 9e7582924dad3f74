from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import HttpRequest
from django.views import View
from django_htmx.middleware import HtmxDetails

from accounts.forms import LoginForm
from accounts.models import User


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    # A signed-in user who follows a bookmark to the login page goes straight to work.
    redirect_authenticated_user = True


class AdminRequest(HttpRequest):
    """What admin pages get: a signed-in user (the mixin checks) and django-htmx's details."""

    user: User
    htmx: HtmxDetails


class AdminOnlyMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Admins only: anonymous users go to the login page, everyone else gets 403."""

    def test_func(self) -> bool:
        # Runs after LoginRequiredMixin has turned anonymous users away.
        user = self.request.user  # type: ignore[attr-defined]
        return bool(user.is_admin)


class AdminView(AdminOnlyMixin, View):
    """A settings page or endpoint for admins."""

    request: AdminRequest
