from django.urls import path

from forecasting import quota_settings, views

app_name = "forecasting"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("settings/quotas/", quota_settings.QuotaSettingsView.as_view(), name="quota_settings"),
    path("settings/quotas/cell/", quota_settings.QuotaCellView.as_view(), name="quota_cell"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("forecast/adjustments/", views.AdjustForecastView.as_view(), name="adjust"),
    path(
        "forecast/stages/<int:pk>/use-observed/",
        views.UseObservedProbabilityView.as_view(),
        name="use_observed",
    ),
]
