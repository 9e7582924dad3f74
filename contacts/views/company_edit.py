"""Creating, editing and merging companies; the domain check behind the form's warning.

A domain that a visible company already has is flagged before anything is written: the
form lists those companies ("open existing") and offers "create anyway". The domain field
checks itself as it is typed (htmx). A company the user cannot see is a 404; one they can
see but not change is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from accounts.models import User
from contacts.forms.people import CompanyForm
from contacts.models import Company
from contacts.services.companies import (
    DuplicateCompanyDomain,
    create_company,
    merge_companies,
    update_company,
    visible_domain_twins,
)
from contacts.services.duplicates import normalise_domain
from contacts.views.contact_edit import (
    RecordMergeView,
    acting_user,
    editable_or_403,
    visible_or_none,
)

TEMPLATE = "contacts/company_form.html"
MERGE_TEMPLATE = "contacts/company_merge.html"
MERGE_CANDIDATES = 50


def _render_form(
    request: HttpRequest,
    form: CompanyForm,
    *,
    company: Company | None,
    duplicates: list[Company] | None = None,
) -> TemplateResponse:
    context = {"form": form, "company": company, "duplicates": duplicates or []}
    status = 422 if form.is_bound and (form.errors or duplicates) else 200
    return TemplateResponse(request, TEMPLATE, context, status=status)


class CompanyCreateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _render_form(request, CompanyForm(user=acting_user(request)), company=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = acting_user(request)
        form = CompanyForm(request.POST, user=user)
        if form.is_valid():
            try:
                company = create_company(
                    by=user,
                    fields=form.cleaned_data,
                    allow_duplicate_domain=request.POST.get("create_anyway") == "1",
                )
            except DuplicateCompanyDomain as duplicate:
                return _render_form(request, form, company=None, duplicates=duplicate.duplicates)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Company %(name)s added.") % {"name": company})
                return redirect("contacts:company_detail", pk=company.pk)
        return _render_form(request, form, company=None)


class CompanyEditView(LoginRequiredMixin, View):
    def _company(self, request: HttpRequest, pk: int) -> Company:
        return editable_or_403(Company.objects.select_related("owner"), acting_user(request), pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        company = self._company(request, pk)
        form = CompanyForm.for_company(company, user=acting_user(request))
        return _render_form(request, form, company=company)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = acting_user(request)
        company = self._company(request, pk)
        form = CompanyForm(request.POST, user=user, current_owner=company.owner)
        if form.is_valid():
            try:
                update_company(
                    by=user,
                    company_id=company.pk,
                    fields=form.cleaned_data,
                    allow_duplicate_domain=request.POST.get("create_anyway") == "1",
                )
            except DuplicateCompanyDomain as duplicate:
                return _render_form(request, form, company=company, duplicates=duplicate.duplicates)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Company saved."))
                return redirect("contacts:company_detail", pk=company.pk)
        return _render_form(request, form, company=company)


class CompanyDomainCheckView(LoginRequiredMixin, View):
    """The domain field's hint: how it will be stored and which visible companies have it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = acting_user(request)
        company = visible_or_none(Company, user, request.GET.get("company"))
        typed = request.GET.get("domain", "")[:200]
        domain = normalise_domain(typed)
        exclude_pk = company.pk if company is not None else None
        context = {
            "domain_value": typed,
            "normalised_domain": domain if domain != typed.strip() else "",
            "domain_twins": list(visible_domain_twins(user, domain, exclude_pk=exclude_pk)),
        }
        return TemplateResponse(request, f"{TEMPLATE}#domain-hint", context)


class CompanyMergeView(RecordMergeView):
    """Pick a duplicate (same domain or name, or ``?other=<pk>``), compare, merge it in."""

    model = Company
    template_name = MERGE_TEMPLATE
    detail_url_name = "contacts:company_detail"
    choose_message = gettext_lazy("Choose the company to merge into this one.")

    def merge(self, *, by: User, keep_id: int, merge_id: int) -> Company:
        return merge_companies(by=by, keep_id=keep_id, merge_id=merge_id)

    def merge_context(self, request: HttpRequest, pk: int, other_pk: object) -> dict[str, Any]:
        user = acting_user(request)
        company = editable_or_403(Company.objects.all(), user, pk)
        alike = Q(name__iexact=company.name)
        if company.domain:
            alike |= Q(domain=company.domain)
        editable = Company.objects.editable_by(user).exclude(pk=company.pk)
        candidates = list(editable.filter(alike).order_by("name", "pk")[:MERGE_CANDIDATES])
        other = next((c for c in candidates if str(c.pk) == str(other_pk or "")), None)
        if other is None and str(other_pk or "").isdigit():
            other = editable.filter(pk=int(str(other_pk))).first()
            if other is not None:
                candidates.insert(0, other)
        return {"company": company, "candidates": candidates, "other": other}
