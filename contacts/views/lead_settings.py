"""The lead rules page, for admins: criteria, threshold, cadence, assignment, territories.

Every form posts to its own endpoint, which calls one service from
``contacts.services.policy`` and comes back to the page (303 after success, the page with
the form's errors and 422 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Territory, User
from contacts.forms.leads import CriterionForm, PolicyForm, TerritoryForm
from contacts.models import LeadPolicy, QualificationCriterion
from contacts.services import policy as rules
from core.views import AdminView

TEMPLATE = "contacts/settings/lead_settings.html"
UNPROCESSABLE = 422


class LeadRulesView(AdminView):
    """An admin's page or form endpoint on the lead rules page."""

    @property
    def user(self) -> User:
        return self.request.user

    def back(self, anchor: str = "") -> HttpResponse:
        url = reverse("contacts:lead_settings") + (f"#{anchor}" if anchor else "")
        return HttpResponseRedirect(url, status=303)

    def page(self, status: int = 200, **forms: Any) -> TemplateResponse:
        policy = LeadPolicy.objects.select_related("default_team").get(pk=LeadPolicy.current().pk)
        criteria = list(
            QualificationCriterion.objects.annotate(answer_count=Count("answers")).order_by(
                "position", "pk"
            )
        )
        for criterion in criteria:
            criterion.form = CriterionForm(
                initial={
                    "question": criterion.question,
                    "help_text": criterion.help_text,
                    "weight": criterion.weight,
                    "is_active": criterion.is_active,
                },
                auto_id=f"criterion-{criterion.pk}-%s",
            )
        edited = forms.pop("edited_criterion", None)
        if edited is not None:
            for criterion in criteria:
                if criterion.pk == edited[0]:
                    criterion.form = edited[1]
        active_weight = sum(c.weight for c in criteria if c.is_active)
        context = {
            "policy": policy,
            "policy_form": forms.get("policy_form") or PolicyForm.for_policy(policy),
            "criteria": criteria,
            "active_weight": active_weight,
            "criterion_form": forms.get("criterion_form")
            or CriterionForm(auto_id="new-criterion-%s"),
            "territories": Territory.objects.select_related("team").order_by("country", "region"),
            "territory_form": forms.get("territory_form") or TerritoryForm(auto_id="territory-%s"),
        }
        return TemplateResponse(self.request, TEMPLATE, context, status=status)


class LeadSettingsView(LeadRulesView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                rules.update_policy(by=self.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Lead rules saved."))
                return self.back("rules")
        return self.page(UNPROCESSABLE, policy_form=form)


class AddCriterionView(LeadRulesView):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = CriterionForm(request.POST, auto_id="new-criterion-%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                criterion = rules.add_criterion(
                    by=self.user,
                    question=data["question"],
                    help_text=data["help_text"],
                    weight=data["weight"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Criterion added; scores updated."))
                return self.back(f"criterion-{criterion.pk}")
        return self.page(UNPROCESSABLE, criterion_form=form)


class EditCriterionView(LeadRulesView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        criterion = get_object_or_404(QualificationCriterion, pk=pk)
        form = CriterionForm(request.POST, auto_id=f"criterion-{pk}-%s")
        if form.is_valid():
            try:
                rules.update_criterion(by=self.user, criterion_id=criterion.pk, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Criterion saved."))
                return self.back(f"criterion-{pk}")
        return self.page(UNPROCESSABLE, edited_criterion=(pk, form))


class MoveCriterionView(LeadRulesView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        offset = -1 if request.POST.get("direction") == "up" else 1
        try:
            rules.move_criterion(by=self.user, criterion_id=pk, offset=offset)
        except QualificationCriterion.DoesNotExist:
            raise Http404 from None
        return self.back(f"criterion-{pk}")


class AddTerritoryView(LeadRulesView):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = TerritoryForm(request.POST, auto_id="territory-%s")
        if form.is_valid():
            try:
                rules.add_territory(by=self.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Territory added."))
                return self.back("territories")
        return self.page(UNPROCESSABLE, territory_form=form)


class DeleteTerritoryView(LeadRulesView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        rules.delete_territory(by=self.user, territory_id=pk)
        messages.success(request, _("Territory removed."))
        return self.back("territories")
