"""Forms of the pipeline app: they parse and check input; the services decide and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.assignment import assignable_users
from accounts.models import User
from core.forms import StyledForm
from pipeline.models import Task, TouchpointKind, TouchpointOutcome
from pipeline.services.activity import SUMMARY_MAX_LENGTH

# Which outcomes fit which kind of touchpoint: the quick-log form offers only these once a
# kind is picked (deal-panel.js). A hint for the form, not a rule: the API may log others.
OUTCOMES_BY_KIND: dict[str, tuple[str, ...]] = {
    TouchpointKind.CALL: (
        TouchpointOutcome.CONNECTED,
        TouchpointOutcome.NO_ANSWER,
        TouchpointOutcome.VOICEMAIL,
        TouchpointOutcome.MEETING_BOOKED,
        TouchpointOutcome.NOT_INTERESTED,
    ),
    TouchpointKind.EMAIL: (
        TouchpointOutcome.REPLIED,
        TouchpointOutcome.MEETING_BOOKED,
        TouchpointOutcome.NOT_INTERESTED,
    ),
    TouchpointKind.MEETING: (
        TouchpointOutcome.CONNECTED,
        TouchpointOutcome.MEETING_BOOKED,
        TouchpointOutcome.NOT_INTERESTED,
    ),
    TouchpointKind.NOTE: (),
}
KIND_ICONS: dict[str, str] = {
    TouchpointKind.CALL: "bi-telephone",
    TouchpointKind.EMAIL: "bi-envelope",
    TouchpointKind.MEETING: "bi-people",
    TouchpointKind.NOTE: "bi-journal-text",
}
# A new task is due tomorrow at this hour in the user's zone unless they say otherwise.
DEFAULT_DUE_HOUR = 9


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type="datetime-local">``: a wall-clock time, read in the user's time zone.

    The form field turns it into an aware datetime with the active zone, which the
    middleware sets to the user's own.
    """

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class PanelForm(StyledForm):
    """A form of the deal panel and the quick-log box: small controls, marked errors."""

    compact = True
    describes_errors = False


class TouchpointForm(PanelForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=TouchpointKind.choices,
        initial=TouchpointKind.CALL,
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=TouchpointOutcome.choices, required=False
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=DateTimeLocalInput,
        help_text=_("Leave empty for now."),
        error_messages={"invalid": _("Enter a date and a time.")},
    )

    def kind_options(self) -> list[dict[str, str]]:
        """The kinds as the template's button row: value, label, icon, and whether picked."""
        picked = self["kind"].value()
        return [
            {
                "value": value,
                "label": str(label),
                "icon": KIND_ICONS[value],
                "checked": value == picked,
            }
            for value, label in TouchpointKind.choices
        ]

    def outcome_options(self) -> list[dict[str, Any]]:
        """The outcomes with the kinds they fit (space-separated), for deal-panel.js."""
        picked = self["outcome"].value() or ""
        return [
            {
                "value": value,
                "label": str(label),
                "kinds": " ".join(
                    kind for kind, fitting in OUTCOMES_BY_KIND.items() if value in fitting
                )
                if value
                else " ".join(TouchpointKind.values),
                "selected": value == picked,
            }
            for value, label in TouchpointOutcome.choices
        ]


def default_due_at() -> dt.datetime:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(DEFAULT_DUE_HOUR)))


class AssigneeSelect(forms.Select):
    def use_required_attribute(self, initial: Any) -> bool:
        # The list has no empty option, so "required" adds nothing, and asking would run
        # the choices' query a second time just to look at the first option.
        return False


class TaskForm(PanelForm):
    title = forms.CharField(
        label=_("Task"),
        max_length=Task._meta.get_field("title").max_length,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Send the revised offer")}),
        error_messages={"required": _("Say what needs doing.")},
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=DateTimeLocalInput,
        error_messages={
            "required": _("Say when the task is due."),
            "invalid": _("Enter a date and a time."),
        },
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
        widget=AssigneeSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("due_at", default_due_at())
        super().__init__(*args, **kwargs)
        if user.is_manager or user.is_admin:
            assignee = self.fields["assignee"]
            assert isinstance(assignee, forms.ModelChoiceField)
            assignee.queryset = assignable_users(user).order_by("first_name", "last_name", "pk")
            self.initial.setdefault("assignee", user.pk)
        else:
            # A rep's tasks are their own: no choice to offer.
            del self.fields["assignee"]

    @property
    def offers_assignee(self) -> bool:
        # Asked by the template; testing the bound field itself would query its choices.
        return "assignee" in self.fields
