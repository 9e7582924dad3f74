from django.urls import path

from forecasting import views

app_name = "forecasting"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/charts/<slug:name>/", views.DashboardChartView.as_view(), name="chart"),
]
