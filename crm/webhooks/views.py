"""Webhook settings for admins: list and add, edit, rotate the secret, ping, delivery log.

Every page works as plain forms (POST, then a redirect). With htmx, three actions swap a
fragment of ``webhooks/webhook_detail.html`` instead: a new secret (``webhook-secret``), a
ping (``delivery-log``, showing the new delivery) and a redelivery (``delivery-row``,
element ``delivery-<pk>``). Invalid input answers 422 with the form and its errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.forms import add_service_errors
from core.views import AdminRequest, AdminView
from crm.webhooks.forms import WebhookForm
from crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from crm.webhooks.services import (
    create_webhook,
    delete_webhook,
    redeliver,
    rotate_webhook_secret,
    send_ping,
    update_webhook,
)

LIST_TEMPLATE = "webhooks/webhook_list.html"
DETAIL_TEMPLATE = "webhooks/webhook_detail.html"
DELIVERIES_PER_PAGE = 25
UNPROCESSABLE = 422


def detail_url(webhook_id: int) -> str:
    return reverse("webhooks:detail", args=[webhook_id])


class WebhookListView(AdminView):
    """Every webhook with its delivery counts; POST adds one."""

    def get(self, request: AdminRequest) -> HttpResponse:
        return self.render_list(request, WebhookForm())

    def post(self, request: AdminRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                webhook = create_webhook(by=request.user, **form.service_arguments())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Webhook added. Its receiver should check each delivery's signature."),
                )
                return HttpResponseRedirect(detail_url(webhook.pk))
        return self.render_list(request, form, status=UNPROCESSABLE)

    def render_list(
        self, request: AdminRequest, form: WebhookForm, status: int = 200
    ) -> HttpResponse:
        webhooks = Webhook.objects.annotate(
            delivery_count=Count("deliveries"),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            last_delivery_at=Max("deliveries__created_at"),
        ).order_by("url", "pk")
        return render(request, LIST_TEMPLATE, {"webhooks": webhooks, "form": form}, status=status)


def render_detail(
    request: AdminRequest,
    webhook: Webhook,
    *,
    form: WebhookForm | None = None,
    fragment: str = "",
    status: int = 200,
) -> HttpResponse:
    deliveries = webhook.deliveries.order_by("-created_at", "-pk")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "webhook": webhook,
        "form": form or WebhookForm.for_webhook(webhook),
        "page_obj": page,
        "deliveries": page.object_list,
    }
    template = f"{DETAIL_TEMPLATE}#{fragment}" if fragment else DETAIL_TEMPLATE
    return render(request, template, context, status=status)


class WebhookDetailView(AdminView):
    """One webhook: its settings form, its secret, and its deliveries, newest first."""

    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        webhook = get_object_or_404(Webhook, pk=pk)
        fragment = "delivery-log" if request.htmx and "page" in request.GET else ""
        return render_detail(request, webhook, fragment=fragment)

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        webhook = get_object_or_404(Webhook, pk=pk)
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                update_webhook(webhook=webhook, by=request.user, **form.service_arguments())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Webhook saved."))
                return HttpResponseRedirect(detail_url(webhook.pk))
        webhook.refresh_from_db()
        return render_detail(request, webhook, form=form, status=UNPROCESSABLE)


class RotateSecretView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        webhook = get_object_or_404(Webhook, pk=pk)
        rotate_webhook_secret(webhook=webhook, by=request.user)
        notice = _("New secret in use from the next delivery on: update the receiver now.")
        if request.htmx:
            return render(
                request,
                f"{DETAIL_TEMPLATE}#webhook-secret",
                {"webhook": webhook, "notice": notice},
            )
        messages.success(request, notice)
        return HttpResponseRedirect(detail_url(webhook.pk))


class PingView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        webhook = get_object_or_404(Webhook, pk=pk)
        send_ping(webhook=webhook, by=request.user)
        if request.htmx:
            return render_detail(request, webhook, fragment="delivery-log")
        messages.success(request, _("Test ping sent: it appears in the delivery log."))
        return HttpResponseRedirect(detail_url(webhook.pk))


class DeleteWebhookView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        webhook = get_object_or_404(Webhook, pk=pk)
        delete_webhook(webhook=webhook, by=request.user)
        messages.success(request, _("Webhook %(url)s deleted.") % {"url": webhook.url})
        return HttpResponseRedirect(reverse("webhooks:list"))


class RedeliverView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("webhook"), pk=pk)
        webhook = delivery.webhook
        error_message = ""
        try:
            delivery = redeliver(delivery=delivery, by=request.user)
        except ValidationError as error:
            error_message = " ".join(error.messages)
        if request.htmx:
            context = {"delivery": delivery, "webhook": webhook, "error": error_message}
            return render(
                request,
                f"{DETAIL_TEMPLATE}#delivery-row",
                context,
                status=UNPROCESSABLE if error_message else 200,
            )
        if error_message:
            messages.error(request, error_message)
        else:
            messages.success(request, _("Delivery queued to be sent again."))
        return HttpResponseRedirect(detail_url(webhook.pk))
