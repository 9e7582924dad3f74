"""Creating and editing a lead, with the duplicate check in the way of a second copy.

When the details match earlier leads the form comes back (409) listing the matches the
user can see (and how many others exist, unnamed), with three ways on: open an existing
lead, add these details to it (create) or merge this lead into it (edit), or save anyway,
which flags the lead as a possible duplicate. With htmx, leaving the email or domain field
asks the same question early (``?check=duplicates``) and shows the warning in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from contacts.forms.leads import LEAD_FORM_FIELDS, DuplicateChoiceForm, LeadForm
from contacts.models import Lead
from contacts.services import (
    DuplicateLead,
    create_lead,
    fill_lead,
    find_duplicate_leads,
    merge_leads,
    update_lead,
)
from contacts.services.duplicates import duplicate_keys

TEMPLATE = "contacts/lead_form.html"
CONFLICT = 409
UNPROCESSABLE = 422
DUPLICATES_SHOWN = 10


def duplicate_summary(user: User, matches: Any) -> dict[str, Any]:
    """The matches ``user`` may see (with whether they may change them) and a count of the rest."""
    condition = Lead.objects.editability_q(user)
    can_change = (
        Value(True)
        if condition is None
        else Case(When(condition, then=Value(True)), default=Value(False))
    )
    visible = list(
        matches.visible_to(user)
        .select_related("owner")
        .annotate(can_change=Coalesce(can_change, Value(False), output_field=BooleanField()))[
            :DUPLICATES_SHOWN
        ]
    )
    hidden = matches.exclude(pk__in=matches.visible_to(user).values("pk")).count()
    return {
        "duplicates": visible,
        "hidden_duplicates": hidden,
        "has_duplicates": bool(visible or hidden),
    }


class LeadFormView(LoginRequiredMixin, View):
    """Shared by create and edit: parse, call the service, answer duplicates and errors."""

    lead: Lead | None = None

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user

    def render(self, form: LeadForm, status: int = 200, **extra: Any) -> TemplateResponse:
        context = {"form": form, "lead": self.lead, **extra}
        return TemplateResponse(self.request, TEMPLATE, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(self.blank_form())

    def blank_form(self) -> LeadForm:
        raise NotImplementedError

    def check_duplicates(self, request: HttpRequest) -> HttpResponse:
        """The inline duplicate warning for what has been typed so far."""
        email = request.POST.get("email", "")
        domain = request.POST.get("company_domain", "")
        matches = find_duplicate_leads(email=email, company_domain=domain, exclude=self.lead)
        if not any(duplicate_keys(email=email, company_domain=domain)):
            matches = Lead.objects.none()
        context = {"lead": self.lead, "inline": True, **duplicate_summary(self.user, matches)}
        return TemplateResponse(request, f"{TEMPLATE}#lead-duplicate-warning", context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("check") == "duplicates" and request.htmx:  # type: ignore[attr-defined]
            return self.check_duplicates(request)
        form = LeadForm(request.POST, user=self.user)
        action, target = DuplicateChoiceForm(request.POST).choice()
        if not form.is_valid():
            return self.render(form, status=UNPROCESSABLE)
        try:
            return self.save(form, action=action, target=target)
        except DuplicateLead as duplicate:
            matches = Lead.objects.filter(pk__in=[lead.pk for lead in duplicate.matches])
            summary = duplicate_summary(self.user, matches.order_by("created_at", "pk"))
            return self.render(form, status=CONFLICT, **summary)
        except ValidationError as error:
            form.add_service_error(error)
            return self.render(form, status=UNPROCESSABLE)
        except Lead.DoesNotExist:
            # The lead to fill or merge into is not (or no longer) visible.
            raise Http404 from None

    def save(self, form: LeadForm, *, action: str, target: int | None) -> HttpResponse:
        raise NotImplementedError


class LeadCreateView(LeadFormView):
    def blank_form(self) -> LeadForm:
        # A rep's new lead is theirs unless they pick someone (or the rules) instead.
        return LeadForm(user=self.user, initial={"owner": self.user.pk, "source": "web"})

    def save(self, form: LeadForm, *, action: str, target: int | None) -> HttpResponse:
        if action == "fill" and target:
            lead = fill_lead(by=self.user, lead_id=target, fields=form.lead_fields())
            messages.success(self.request, _("The details were added to the existing lead."))
            return redirect("contacts:lead_detail", pk=lead.pk)
        lead = create_lead(
            by=self.user, fields=form.lead_fields(), allow_duplicate=action == "create"
        )
        messages.success(self.request, _("Lead created."))
        if not Lead.objects.visible_to(self.user).filter(pk=lead.pk).exists():
            # The assignment rule gave it to another team: say so instead of a 404.
            messages.info(self.request, _("The lead rules assigned it to another team."))
            return redirect("contacts:lead_list")
        return redirect("contacts:lead_detail", pk=lead.pk)


class LeadEditView(LeadFormView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            # Visible leads only (404 otherwise); the service refuses a lead not theirs (403).
            self.lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def blank_form(self) -> LeadForm:
        lead = self.lead
        assert lead is not None
        initial: dict[str, object] = {
            name: getattr(lead, name) for name in LEAD_FORM_FIELDS if name != "owner"
        }
        initial["owner"] = lead.owner_id
        return LeadForm(user=self.user, initial=initial, custom_values=lead.custom_fields)

    def save(self, form: LeadForm, *, action: str, target: int | None) -> HttpResponse:
        lead = self.lead
        assert lead is not None
        if action == "merge" and target:
            kept = merge_leads(by=self.user, keep_id=target, merge_id=lead.pk)
            messages.success(self.request, _("Merged into the existing lead."))
            return redirect("contacts:lead_detail", pk=kept.pk)
        fields = form.lead_fields()
        if fields.get("owner") is None:
            # An empty owner on the edit form leaves the owner alone; assigning has its button.
            fields.pop("owner")
        update_lead(
            by=self.user, lead_id=lead.pk, fields=fields, allow_duplicate=action == "create"
        )
        messages.success(self.request, _("Lead saved."))
        return redirect("contacts:lead_detail", pk=lead.pk)
