"""Converting a lead: one form (pipeline, title, value, currency, close date), one service call.

The page is reached from the lead page's "Convert to deal" button, shown once the lead's
score reaches the threshold; ``convert_lead`` checks that again and refuses with a reason.
On success the rep lands on the pipeline's board, where the new deal heads its first column.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from contacts.models import Lead, LeadPolicy, LeadStatus
from pipeline import services
from pipeline.forms.conversion import ConvertLeadForm

TEMPLATE = "pipeline/lead_convert.html"
UNPROCESSABLE = 422


class ConvertLeadView(LoginRequiredMixin, View):
    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.policy = LeadPolicy.current()

    def lead(self) -> Lead:
        return get_object_or_404(
            Lead.objects.visible_to(self.request.user).select_related("owner"), pk=self.kwargs["pk"]
        )

    def render(self, lead: Lead, form: ConvertLeadForm, status: int = 200) -> TemplateResponse:
        context = {
            "lead": lead,
            "form": form,
            "threshold": self.policy.qualification_threshold,
            "is_convertible": lead.score >= self.policy.qualification_threshold
            and lead.status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED),
        }
        return TemplateResponse(self.request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead = self.lead()
        initial = {
            "title": lead.company_name or lead.full_name,
            "currency": settings.DEFAULT_CURRENCY,
            "value": Decimal("0.00"),
        }
        return self.render(lead, ConvertLeadForm(initial=initial, auto_id="convert-%s"))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        lead = self.lead()
        form = ConvertLeadForm(request.POST, auto_id="convert-%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                deal = services.convert_lead(
                    by=user,
                    lead_id=lead.pk,
                    pipeline_id=data["pipeline"].pk,
                    title=data["title"],
                    value=data["value"],
                    currency=data["currency"],
                    expected_close_date=data["expected_close_date"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("%(lead)s is now a deal: “%(deal)s”, in %(stage)s.")
                    % {"lead": lead.full_name, "deal": deal.title, "stage": deal.stage.name},
                )
                return redirect("pipeline:board", pk=deal.pipeline_id)
        return self.render(lead, form, status=UNPROCESSABLE)
