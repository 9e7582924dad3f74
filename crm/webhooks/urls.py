from django.urls import path

from crm.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="list"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="detail"),
    path("<int:pk>/secret/", views.RotateSecretView.as_view(), name="rotate_secret"),
    path("<int:pk>/ping/", views.PingView.as_view(), name="ping"),
    path("<int:pk>/delete/", views.DeleteWebhookView.as_view(), name="delete"),
    path("deliveries/<int:pk>/redeliver/", views.RedeliverView.as_view(), name="redeliver"),
]
