from django.urls import path

from forecasting import quota_settings, views

app_name = "forecasting"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("settings/quotas/", quota_settings.QuotaSettingsView.as_view(), name="quota_settings"),
    path("settings/quotas/cell/", quota_settings.QuotaCellView.as_view(), name="quota_cell"),
]
