"""A lead up close: details, qualification, cadence, speed to lead, one timeline, actions.

``LeadDetailView`` serves the page and, for htmx, one of its fragments: the timeline
(``lead-timeline``, reloaded when a touchpoint or task is logged from the quick-log form)
or the qualification card. Touchpoints, tasks and deals belong to apps above contacts:
they reach the page through its extension points (``contacts.extensions``), as timeline
sources, the quick-log panel and the "Convert to deal" action.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import BooleanField, Case, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.views import View

from accounts.models import User
from contacts.cadence import CadencePosition, CadenceStep, cadence_position
from contacts.extensions import RecordPage, TimelineEntry
from contacts.forms.leads import AssignForm, CriteriaForm, DisqualifyForm
from contacts.models import Lead, LeadPolicy, LeadStatus, QualificationCriterion
from contacts.services.duplicates import find_duplicate_leads
from core.htmx import is_fragment_request

TEMPLATE = "contacts/lead_detail.html"
# A timeline long enough for any real lead (this many of each kind); older entries are in
# the admin and the API.
TIMELINE_LIMIT = 100
# How many matching leads the duplicate card names.
DUPLICATES_SHOWN = 10


def lead_queryset(user: User) -> Any:
    return Lead.objects.visible_to(user).select_related(
        "owner", "duplicate_of", "converted_company", "converted_contact"
    )


class LeadPage:
    """What the lead page shows, read lazily: a fragment pays only for its part."""

    def __init__(self, request: HttpRequest, lead: Lead, **forms: Any) -> None:
        self.record_page = RecordPage(request, lead)
        self.user, self.lead = self.record_page.user, lead
        self.now = timezone.now()
        self.forms = forms

    @cached_property
    def policy(self) -> LeadPolicy:
        return LeadPolicy.current()

    @cached_property
    def can_edit(self) -> bool:
        return Lead.objects.editable_by(self.user).filter(pk=self.lead.pk).exists()

    @property
    def is_open(self) -> bool:
        return self.lead.status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)

    # --- qualification ---

    @cached_property
    def criteria(self) -> list[QualificationCriterion]:
        return list(
            QualificationCriterion.objects.filter(is_active=True).order_by("position", "pk")
        )

    @cached_property
    def criteria_form(self) -> CriteriaForm:
        if "criteria_form" in self.forms:
            return self.forms["criteria_form"]
        answers = dict(self.lead.answers.values_list("criterion_id", "is_met"))
        return CriteriaForm(criteria=self.criteria, answers=answers, auto_id="criterion-%s")

    @property
    def threshold(self) -> int:
        return self.policy.qualification_threshold

    @property
    def is_qualifying(self) -> bool:
        return self.lead.score >= self.threshold

    @property
    def can_convert(self) -> bool:
        return self.can_edit and self.is_open and self.is_qualifying

    # --- cadence and speed to lead ---

    @cached_property
    def cadence(self) -> CadencePosition:
        return cadence_position(self.lead, self.policy, timezone.localdate(self.now))

    @property
    def cadence_step_is_warning(self) -> bool:
        return self.cadence.step in (CadenceStep.LAST_CHANCE, CadenceStep.PROPOSE_DISQUALIFICATION)

    @property
    def speed_to_lead(self) -> str:
        """ "2 hours, 5 minutes" from creation to first touch; empty until the first touch."""
        if self.lead.first_touch_at is None:
            return ""
        if self.lead.first_touch_at - self.lead.created_at < dt.timedelta(minutes=1):
            return gettext("under a minute")
        return timesince(self.lead.created_at, self.lead.first_touch_at)

    @property
    def waiting_for(self) -> str:
        return timesince(self.lead.created_at, self.now)

    # --- duplicates ---

    @cached_property
    def _matches(self) -> Any:
        return find_duplicate_leads(
            email=self.lead.email, company_domain=self.lead.company_domain, exclude=self.lead
        )

    @cached_property
    def duplicates(self) -> list[Lead]:
        """Matching leads ``user`` can see, each marked with whether they may merge it."""
        condition = Lead.objects.editability_q(self.user)
        can_merge = (
            Value(True)
            if condition is None
            else Case(When(condition, then=Value(True)), default=Value(False))
        )
        return list(
            self._matches.visible_to(self.user)
            .select_related("owner")
            .annotate(can_merge=Coalesce(can_merge, Value(False), output_field=BooleanField()))[
                :DUPLICATES_SHOWN
            ]
        )

    @cached_property
    def hidden_duplicate_count(self) -> int:
        """Matches in teams ``user`` cannot see: counted, never named."""
        visible = self._matches.visible_to(self.user).values("pk")
        return self._matches.exclude(pk__in=visible).count()

    # --- the timeline ---

    @cached_property
    def timeline(self) -> list[TimelineEntry]:
        """The lead's own events and every source's entries, latest first; tasks due later
        lead the list."""
        lead = self.lead
        entries = [TimelineEntry("created", lead.created_at, f"{TEMPLATE}#timeline-created")]
        entries += self.record_page.timeline(TIMELINE_LIMIT)
        if lead.converted_at is not None:
            entries.append(
                TimelineEntry("converted", lead.converted_at, f"{TEMPLATE}#timeline-converted")
            )
        return sorted(entries, key=lambda entry: entry.at, reverse=True)


def page_context(request: HttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    page = LeadPage(request, lead, **forms)
    user = page.user
    return {
        "lead": lead,
        "page": page,
        "record_page": page.record_page,
        "disqualify_form": forms.get("disqualify_form") or DisqualifyForm(auto_id="disqualify-%s"),
        "assign_form": forms.get("assign_form")
        or AssignForm(user=user, initial={"owner": lead.owner_id}, auto_id="assign-%s"),
    }


def render_lead(
    request: HttpRequest,
    lead: Lead,
    fragment: str | None = None,
    status: int = 200,
    **forms: Any,
) -> TemplateResponse:
    template = f"{TEMPLATE}#{fragment}" if fragment else TEMPLATE
    context = {**page_context(request, lead, **forms), "is_fragment": fragment is not None}
    response = TemplateResponse(request, template, context, status=status)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


class LeadDetailView(LoginRequiredMixin, View):
    """The lead page; for htmx its timeline, when a touchpoint or task was logged."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        lead = get_object_or_404(lead_queryset(user), pk=pk)
        if is_fragment_request(request) and request.htmx.target == "lead-timeline":
            return render_lead(request, lead, "lead-timeline")
        return render_lead(request, lead)
