"""The lead list: search, filters, sorting, pages, and the CSV export of the same rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.visibility import visible_users
from contacts.cadence import OPEN_STATUSES, CadenceStep
from contacts.models import Lead, LeadSource, LeadStatus, RecordField, RecordKind
from contacts.services.record_values import active_record_fields
from core.csv_export import CsvColumn
from core.custom_fields.list_controls import FILTER_PREFIX
from core.lists import ListFilterForm, SearchableListView

# Speed to lead for managers: leads created in this many days.
SPEED_WINDOW_DAYS = 30
# The cadence steps the nightly job records on the lead, as the list filters them.
CADENCE_FILTERS: dict[str, Q] = {
    CadenceStep.NOT_CONTACTED: Q(status__in=OPEN_STATUSES, contact_attempts=0),
    CadenceStep.IN_CADENCE: Q(
        status__in=OPEN_STATUSES,
        contact_attempts__gte=1,
        last_chance_since__isnull=True,
        disqualification_proposed_since__isnull=True,
    ),
    CadenceStep.LAST_CHANCE: Q(status__in=OPEN_STATUSES, last_chance_since__isnull=False),
    CadenceStep.PROPOSE_DISQUALIFICATION: Q(
        status__in=OPEN_STATUSES, disqualification_proposed_since__isnull=False
    ),
}
CADENCE_CHOICES = [
    ("", _("Any cadence step")),
    (CadenceStep.NOT_CONTACTED, _("Not contacted yet")),
    (CadenceStep.IN_CADENCE, _("In cadence")),
    (CadenceStep.LAST_CHANCE, _("Last-chance email due")),
    (CadenceStep.PROPOSE_DISQUALIFICATION, _("Proposed for disqualification")),
]


class LeadFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *LeadStatus.choices],
    )
    # A plain id: the list filters inside the visible leads, so a foreign id finds nothing.
    owner = forms.IntegerField(label=_("Owner"), required=False, min_value=1)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *LeadSource.choices]
    )
    cadence = forms.ChoiceField(label=_("Cadence"), required=False, choices=CADENCE_CHOICES)
    unassigned = forms.BooleanField(label=_("Unassigned only"), required=False)
    duplicates = forms.BooleanField(label=_("Possible duplicates only"), required=False)


def filter_owners(user: User) -> QuerySet[User]:
    """People whose leads ``user`` can see: the owner filter's choices."""
    return visible_users(user).order_by("first_name", "last_name", "username")


class LeadListView(SearchableListView):
    model = Lead
    form_class = LeadFilterForm
    template_name = "contacts/lead_list.html"
    partial_name = "lead-table"
    search_fields = ("first_name", "last_name", "email", "company_name")
    sort_fields = {
        "name": ("last_name", "first_name"),
        "company": ("company_name",),
        "status": ("status",),
        "score": ("score",),
        "owner": ("owner__last_name", "owner__first_name"),
        "created": ("created_at",),
        "touched": ("last_touch_at",),
        "attempts": ("contact_attempts",),
    }
    default_sort = "-created"
    related = ("owner",)
    export_filename = "leads"
    export_columns = (
        CsvColumn(_("First name"), "first_name"),
        CsvColumn(_("Last name"), "last_name"),
        CsvColumn(_("Email"), "email"),
        CsvColumn(_("Phone"), "phone"),
        CsvColumn(_("Company"), "company_name"),
        CsvColumn(_("Status"), "status"),
        CsvColumn(_("Score"), "score"),
        CsvColumn(_("Owner"), "owner__username"),
        CsvColumn(_("Created"), "created_at"),
        CsvColumn(_("External id"), "external_id"),
    )

    def custom_field_definitions(self) -> list[RecordField]:
        return active_record_fields(RecordKind.LEAD)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        filters = self.filters
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("owner"):
            queryset = queryset.filter(owner_id=filters["owner"])
        if filters.get("source"):
            queryset = queryset.filter(source=filters["source"])
        if filters.get("cadence"):
            queryset = queryset.filter(CADENCE_FILTERS[filters["cadence"]])
        if filters.get("unassigned"):
            queryset = queryset.filter(owner__isnull=True)
        if filters.get("duplicates"):
            queryset = queryset.filter(duplicate_of__isnull=False)
        return queryset

    @property
    def is_filtered(self) -> bool:
        return any(
            self.filters.get(name)
            for name in ("q", "status", "owner", "source", "cadence", "unassigned", "duplicates")
        ) or any(
            # The form sends every custom filter, the empty ones too.
            name.startswith(FILTER_PREFIX) and value
            for name, value in self.request.GET.items()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = self.is_filtered
        if not self.is_fragment:
            # The filter bar is outside the table fragment: only full pages need its choices.
            user = self.request.user
            owners = list(filter_owners(user))
            context["owners"] = owners
            if user.is_manager or user.is_admin:
                context["speed_to_lead"] = speed_to_lead_by_rep(user, owners)
                context["speed_window_days"] = SPEED_WINDOW_DAYS
        return context


@dataclass(frozen=True)
class RepSpeed:
    rep: User
    median: dt.timedelta

    @property
    def text(self) -> str:
        if self.median < dt.timedelta(minutes=1):
            return str(_("under a minute"))
        now = timezone.now()
        return timesince(now - self.median, now)


def speed_to_lead_by_rep(user: User, owners: list[User]) -> list[RepSpeed]:
    """Median speed to lead of each visible rep over the last SPEED_WINDOW_DAYS, slowest first.

    The slowest first: a manager reads this to see who needs help with new leads.
    """
    since = timezone.now() - dt.timedelta(days=SPEED_WINDOW_DAYS)
    medians = Lead.objects.visible_to(user).filter(created_at__gte=since).median_speed_to_lead()
    speeds = [RepSpeed(owner, medians[owner.pk]) for owner in owners if owner.pk in medians]
    return sorted(speeds, key=lambda speed: speed.median, reverse=True)
