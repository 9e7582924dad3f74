from django.urls import path

from crm.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/columns/", views.map_columns, name="columns"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/date-orders/", views.choose_date_orders, name="date_orders"),
    path("<int:pk>/rejections.csv", views.rejections_csv, name="rejections_csv"),
]
