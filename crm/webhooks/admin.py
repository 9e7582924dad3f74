"""Admin for webhooks and their deliveries: to look at; changes go through the settings pages.

The settings pages (/settings/webhooks/) validate URLs, generate and rotate secrets and
redeliver; the admin shows the same rows with their relations in one query per list.
"""

from django.contrib import admin
from django.http import HttpRequest

from crm.webhooks.models import Webhook, WebhookDelivery


class ViewOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(ViewOnlyAdmin):
    list_display = ("url", "description", "events", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("created_by",)
    search_fields = ("url", "description")
    # The secret stays on the settings page, where it can be rotated.
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyAdmin):
    list_display = (
        "created_at",
        "event",
        "webhook",
        "status",
        "attempts",
        "response_status_code",
        "delivered_at",
    )
    list_filter = ("status", "event")
    list_select_related = ("webhook",)
    search_fields = ("webhook__url", "error")
    date_hierarchy = "created_at"
