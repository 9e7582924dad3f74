from django.urls import path

from forecasting import forecast_views, quota_settings, views

app_name = "forecasting"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("settings/quotas/", quota_settings.QuotaSettingsView.as_view(), name="quota_settings"),
    path("settings/quotas/cell/", quota_settings.QuotaCellView.as_view(), name="quota_cell"),
    path("forecast/", forecast_views.ForecastView.as_view(), name="forecast"),
    path("forecast/adjustments/", forecast_views.AdjustForecastView.as_view(), name="adjust"),
    path(
        "forecast/stages/<int:pk>/use-observed/",
        forecast_views.UseObservedProbabilityView.as_view(),
        name="use_observed",
    ),
    path("dashboard/charts/<slug:name>/", views.DashboardChartView.as_view(), name="chart"),
]
