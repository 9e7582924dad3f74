"""The notification centre: the bell's count, the list, and marking notifications read.

One view serves a page and its fragments: after a write, an htmx request gets the changed
row (or list) back with the bell as an out-of-band swap; a plain form post is redirected.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Notification
from accounts.services import notifications

PAGE_SIZE = 25
TEMPLATE = "accounts/notifications.html"
BELL = "accounts/_notification_bell.html"


def _bell(request: HttpRequest, *, out_of_band: bool) -> str:
    context = {"unread_count": notifications.unread_count(request.user), "oob": out_of_band}
    return render_to_string(BELL, context, request=request)


def _list_context(request: HttpRequest, page_number: str | None) -> dict[str, object]:
    page = Paginator(Notification.objects.visible_to(request.user), PAGE_SIZE).get_page(page_number)
    return {"page_obj": page, "notifications": page.object_list}


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones highlighted."""
    context = _list_context(request, request.GET.get("page"))
    context["unread_count"] = notifications.unread_count(request.user)
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The navbar bell with the unread count; every page polls it, so it is one COUNT."""
    return HttpResponse(_bell(request, out_of_band=False))


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.editable_by(request.user), pk=pk)
    notifications.mark_notification_read(notification=notification, by=request.user)
    if not request.htmx:
        return redirect("notifications")
    row = render_to_string(
        f"{TEMPLATE}#notification", {"notification": notification}, request=request
    )
    return HttpResponse(row + _bell(request, out_of_band=True))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications.mark_all_notifications_read(by=request.user)
    if not request.htmx:
        return redirect("notifications")
    context = _list_context(request, request.POST.get("page"))
    context["unread_count"] = 0
    listing = render_to_string(f"{TEMPLATE}#notification-list", context, request=request)
    return HttpResponse(listing + _bell(request, out_of_band=True))
