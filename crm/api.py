"""The REST API: one router over every app's endpoints, the OpenAPI schema and its docs.

Each app keeps its API next to its code (``<app>/api/``); only this module knows them all,
as ``crm/urls.py`` does for pages. Mounted at ``/api/`` under the ``api`` namespace.

Routes have no format suffixes (``/api/users/me.json``): every answer is JSON already, and
a suffix route would hand actions a ``format`` argument they do not take. Such a path, like
any other under ``/api/`` that matches no route, answers a JSON 404 (``not_found``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path, reverse
from django.views import defaults
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import NotFound
from rest_framework.routers import APIRootView, DefaultRouter

from accounts.api import schema  # noqa: F401  (registers the token scheme)
from accounts.api.views import NotificationViewSet, UserViewSet
from contacts.api.views import CompanyViewSet, ContactViewSet, LeadViewSet
from forecasting.api.dashboard import DashboardView as DashboardApiView
from forecasting.api.forecast import (
    ForecastAdjustmentsView,
    ForecastBacktestView,
    ForecastReportView,
)
from forecasting.api.metrics import MetricsView
from forecasting.api.views import ForecastSummaryView, QuotaViewSet
from pipeline.api.views import (
    ConvertLeadView,
    CustomFieldViewSet,
    LineItemViewSet,
    OpportunityViewSet,
    PipelineViewSet,
    ProductViewSet,
    StageViewSet,
    TaskViewSet,
    TouchpointViewSet,
)
from pipeline.api.views.buying_team import (
    BuyingRoleViewSet,
    DealContactsView,
    DealContactView,
)

app_name = "api"


class ApiRootView(APIRootView):
    """Pipeline CRM's REST API: follow the links. Schema at /api/schema/, docs at /api/docs/."""

    # Endpoints outside the router, listed at the root beside the router's.
    extra_names = {
        "forecast": "forecast",
        "forecast-report": "forecast-report",
        "forecast-adjustments": "forecast-adjustments",
        "forecast-backtest": "forecast-backtest",
        "metrics": "metrics",
        "dashboard": "dashboard",
        "schema": "schema",
        "docs": "docs",
    }

    api_root_dict: dict[str, str]

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.api_root_dict = {**self.api_root_dict, **self.extra_names}
        return super().get(request, *args, **kwargs)


class ApiRouter(DefaultRouter):
    APIRootView = ApiRootView
    include_format_suffixes = False


class ApiDocsView(TemplateView):
    """Swagger UI from vendored files, started by static/js/api-docs.js (no inline script)."""

    template_name = "api/docs.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            schema_url=reverse("api:schema"),
            csrf_header_name=settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"),
        )
        return context


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's ``handler404``: JSON under ``/api/``, the site's own page elsewhere."""
    if request.path.startswith(reverse("api:api-root")):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


router = ApiRouter()
router.register("users", UserViewSet, basename="user")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("leads", LeadViewSet, basename="lead")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("stages", StageViewSet, basename="stage")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register(
    r"opportunities/(?P<opportunity_id>[0-9]+)/line-items",
    LineItemViewSet,
    basename="opportunity-line-item",
)
router.register("products", ProductViewSet, basename="product")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("tasks", TaskViewSet, basename="task")
router.register("quotas", QuotaViewSet, basename="quota")
router.register("buying-roles", BuyingRoleViewSet, basename="buying-role")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(), name="docs"),
    path("forecast/", ForecastSummaryView.as_view(), name="forecast"),
    path("forecast/report/", ForecastReportView.as_view(), name="forecast-report"),
    path("forecast/adjustments/", ForecastAdjustmentsView.as_view(), name="forecast-adjustments"),
    path("forecast/backtest/", ForecastBacktestView.as_view(), name="forecast-backtest"),
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("dashboard/", DashboardApiView.as_view(), name="dashboard"),
    path("leads/<int:pk>/convert/", ConvertLeadView.as_view(), name="lead-convert"),
    path(
        "opportunities/<int:pk>/contacts/",
        DealContactsView.as_view(),
        name="opportunity-contacts",
    ),
    path(
        "opportunities/<int:pk>/contacts/<int:member_pk>/",
        DealContactView.as_view(),
        name="opportunity-contact",
    ),
    path("", include(router.urls)),
]
