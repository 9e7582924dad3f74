"""A company's page: details, its people and the timeline across all of them.

One view serves the page and, for htmx, the timeline alone ("Show more"). A company the
user cannot see is a 404; of its contacts the page lists those the user can see. Apps above
contacts add their panels (deals) and timeline sources (``contacts.extensions``). Queries
are fixed: the company, its contacts, its domain twins, then its hooks' (with pipeline:
the deals, touchpoints, tasks and stage changes).
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.generic import View

from accounts.models import User
from contacts.extensions import RecordPage
from contacts.models import Company, Contact
from contacts.services.companies import visible_domain_twins
from contacts.views.contact_detail import render_page_or_fragment
from contacts.views.contact_timeline import Timeline, timeline_length
from core.editing import with_can_edit

TEMPLATE = "contacts/company_detail.html"
# People listed on the page; the contact list filtered by the company shows them all.
CONTACTS_SHOWN = 200


class CompanyDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        companies = Company.objects.visible_to(user).select_related("owner")
        company = get_object_or_404(with_can_edit(companies, user), pk=pk)
        people = list(
            Contact.objects.visible_to(user)
            .filter(company=company)
            .select_related("owner")
            .order_by("last_name", "first_name", "pk")[: CONTACTS_SHOWN + 1]
        )
        record_page = RecordPage(
            request, company, contact_ids=tuple(person.pk for person in people)
        )
        context = {
            "company": company,
            "people": people[:CONTACTS_SHOWN],
            "more_people": len(people) > CONTACTS_SHOWN,
            "record_page": record_page,
            "timeline": Timeline(record_page, timeline_length(request.GET.get("timeline"))),
            "timeline_id": f"company-{company.pk}-timeline",
            "domain_twins": visible_domain_twins(user, company.domain, exclude_pk=company.pk),
        }
        return render_page_or_fragment(request, TEMPLATE, "company-timeline", context)
