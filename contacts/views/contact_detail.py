"""A contact's page: details, company, and one timeline of everything that happened.

One view serves the page and, for htmx, the timeline alone ("Show more"). A contact the
user cannot see is a 404. Apps above contacts add their panels (deals, quick logging) and
timeline sources (``contacts.extensions``). The page costs the same number of queries
however long the contact's history: the contact, its email twins, then its hooks' (with
pipeline: the deals, touchpoints, tasks and stage changes).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.generic import View

from accounts.models import User
from contacts.extensions import RecordPage
from contacts.models import Contact
from contacts.services.people import visible_email_twins
from contacts.views.contact_timeline import Timeline, timeline_length
from core.editing import with_can_edit
from core.htmx import is_fragment_request

TEMPLATE = "contacts/contact_detail.html"


def render_page_or_fragment(
    request: HttpRequest, template: str, fragment: str, context: dict[str, Any]
) -> TemplateResponse:
    name = f"{template}#{fragment}" if is_fragment_request(request) else template
    response = TemplateResponse(request, name, context)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


class ContactDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        contacts = Contact.objects.visible_to(user).select_related("company", "owner")
        contact = get_object_or_404(with_can_edit(contacts, user), pk=pk)
        record_page = RecordPage(request, contact, contact_ids=(contact.pk,))
        context = {
            "contact": contact,
            "record_page": record_page,
            "timeline": Timeline(record_page, timeline_length(request.GET.get("timeline"))),
            "timeline_id": f"contact-{contact.pk}-timeline",
            "email_twins": visible_email_twins(user, contact.email, exclude_pk=contact.pk),
        }
        return render_page_or_fragment(request, TEMPLATE, "contact-timeline", context)
