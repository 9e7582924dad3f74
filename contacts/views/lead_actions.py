"""What the lead page's buttons do: answer criteria, disqualify, assign, merge, unflag.

Each is a POST that calls one service. Without htmx it redirects back to the lead page
(with a message), or shows the page again with the form's errors (422). Answering
criteria with htmx returns the qualification card and, out of band, the status, the
actions (the convert button appears at the threshold) and the cadence. Leads outside
``visible_to`` are 404; visible leads the user may not change are 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from contacts.forms.leads import AssignForm, CriteriaForm, DisqualifyForm, MergeForm
from contacts.models import Lead, QualificationCriterion
from contacts.services import (
    answer_criteria,
    clear_duplicate_flag,
    disqualify_lead,
    merge_leads,
    update_lead,
)
from contacts.views.lead_detail import lead_queryset, render_lead
from core.htmx import is_fragment_request

UNPROCESSABLE = 422


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _lead_or_404(request: HttpRequest, pk: int) -> Lead:
    return get_object_or_404(lead_queryset(_user(request)), pk=pk)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    lead = _lead_or_404(request, pk)
    criteria = list(
        QualificationCriterion.objects.filter(is_active=True).order_by("position", "pk")
    )
    form = CriteriaForm(request.POST, criteria=criteria, answers={}, auto_id="criterion-%s")
    if form.is_valid():
        try:
            lead = answer_criteria(by=user, lead_id=lead.pk, answers=form.answers())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not is_fragment_request(request):
                messages.success(
                    request, _("Answers saved: score %(score)d.") % {"score": lead.score}
                )
                return redirect("contacts:lead_detail", pk=lead.pk)
            lead = _lead_or_404(request, pk)
            return render_lead(request, lead, "lead-qualified")
    fragment = "lead-qualification" if is_fragment_request(request) else None
    return render_lead(request, lead, fragment, status=UNPROCESSABLE, criteria_form=form)


@login_required
@require_POST
def disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    form = DisqualifyForm(request.POST, auto_id="disqualify-%s")
    if form.is_valid():
        try:
            disqualify_lead(by=_user(request), lead_id=lead.pk, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Lead disqualified."))
            return redirect("contacts:lead_detail", pk=lead.pk)
    return render_lead(request, lead, status=UNPROCESSABLE, disqualify_form=form)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    lead = _lead_or_404(request, pk)
    form = AssignForm(request.POST, user=user, auto_id="assign-%s")
    if form.is_valid():
        try:
            lead = update_lead(
                by=user, lead_id=lead.pk, fields={"owner": form.cleaned_data["owner"]}
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Lead assigned to %(owner)s.") % {"owner": lead.owner})
            if not Lead.objects.visible_to(user).filter(pk=lead.pk).exists():
                return redirect("contacts:lead_list")
            return redirect("contacts:lead_detail", pk=lead.pk)
    return render_lead(request, lead, status=UNPROCESSABLE, assign_form=form)


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge one lead into another; the lead in the URL is one of the two."""
    user = _user(request)
    lead = _lead_or_404(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid() or pk not in (form.cleaned_data["keep"], form.cleaned_data["merge"]):
        messages.error(request, _("Choose the two leads to merge."))
        return redirect("contacts:lead_detail", pk=lead.pk)
    try:
        kept = merge_leads(
            by=user, keep_id=form.cleaned_data["keep"], merge_id=form.cleaned_data["merge"]
        )
    except Lead.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("contacts:lead_detail", pk=lead.pk)
    messages.success(request, _("Leads merged: everything now lives on this lead."))
    return redirect("contacts:lead_detail", pk=kept.pk)


@login_required
@require_POST
def clear_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    clear_duplicate_flag(by=_user(request), lead_id=lead.pk)
    messages.success(request, _("The lead is no longer flagged as a possible duplicate."))
    return redirect("contacts:lead_detail", pk=lead.pk)
