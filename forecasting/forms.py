"""The reports' input: the pickers the dashboard and the forecast page share, and an adjustment.

``ReportFilterForm`` is the one rule of what a picker accepts: period, team, rep and
pipeline, read from the URL (a GET form), so a report can be bookmarked and shared. The
choices are only what the viewer may see: the teams a manager manages (every team for an
admin, none for a rep), the sellers of the viewer's scope, the active pipelines. A value
outside them, or a period that is neither a month nor a quarter, is a form error on that
field. The dashboard adds the movement's start date (``DashboardFilterForm``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from core.currencies import validate_currency
from forecasting.models import AdjustableCategory
from forecasting.periods import Period, current_quarter, parse_period
from forecasting.scope import ReportScope
from pipeline.models import Pipeline

# The largest id an IntegerField picker accepts (the database's integer).
MAX_ID = 2**31 - 1
# How far back the movement report looks when the URL names no date.
DEFAULT_MOVEMENT_DAYS = 7


def pickable_teams(user: User) -> QuerySet[Team]:
    if user.is_admin:
        return Team.objects.order_by("name")
    if user.is_manager:
        return Team.objects.filter(manager=user).order_by("name")
    return Team.objects.none()


class PeriodField(forms.CharField):
    def to_python(self, value: Any) -> Period | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_period(text)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class ReportFilterForm(forms.Form):
    """The pickers of a report: what they accept, and the scope a valid form asks for."""

    period = PeriodField(
        label=_("Period"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 10}),
        help_text=_("A quarter such as 2026-Q3 or a month such as 2026-07."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    rep = forms.ModelChoiceField(
        label=_("Rep"), queryset=User.objects.none(), required=False, empty_label=_("Everyone")
    )
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.none(),
        required=False,
        empty_label=_("All pipelines"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        fields = self.fields
        fields["team"].queryset = pickable_teams(user)  # type: ignore[attr-defined]
        fields["rep"].queryset = ReportScope(user, current_quarter()).people()  # type: ignore[attr-defined]
        fields["pipeline"].queryset = Pipeline.objects.active().order_by("position", "name")  # type: ignore[attr-defined]
        fields["period"].widget.attrs["placeholder"] = "2026-Q3"
        for name, field in fields.items():
            css = "form-select" if isinstance(field, forms.ModelChoiceField) else "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            field.widget.attrs["class"] = css

    @property
    def picker_names(self) -> list[str]:
        """The pickers this viewer gets: a rep sees only their own figures."""
        if self.user.is_manager or self.user.is_admin:
            return list(self.fields)
        return ["period", "pipeline"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rep, team = data.get("rep"), data.get("team")
        if rep is not None and team is not None and rep.team_id != team.pk:
            message = _("%(rep)s is not in team %(team)s.") % {"rep": rep, "team": team}
            self.add_error("rep", message)
        return data

    def scope(self) -> ReportScope:
        """The report the valid form asks for."""
        data = self.cleaned_data
        rep, team, pipeline = data.get("rep"), data.get("team"), data.get("pipeline")
        return ReportScope(
            self.user,
            data.get("period") or current_quarter(),
            rep_id=rep.pk if rep else None,
            team_id=team.pk if team else None,
            pipeline_id=pipeline.pk if pipeline else None,
        )


class DashboardFilterForm(ReportFilterForm):
    """The report's pickers and the night the pipeline movement starts from."""

    since = forms.DateField(
        label=_("Movement since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_since(self) -> dt.date | None:
        since = self.cleaned_data.get("since")
        if since is not None and since > timezone.localdate():
            raise forms.ValidationError(_("Pick a day that has passed."), code="future")
        return since

    def movement_since(self) -> dt.date:
        return self.cleaned_data.get("since") or timezone.localdate() - dt.timedelta(
            days=DEFAULT_MOVEMENT_DAYS
        )


class AdjustmentForm(forms.Form):
    """A manager's new call for a rep or a team: ``target`` is ``rep-<id>`` or ``team-<id>``."""

    period = PeriodField(label=_("Period"))
    target = forms.CharField(label=_("Rep or team"), max_length=30)
    category = forms.ChoiceField(label=_("Category"), choices=AdjustableCategory.choices)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, validators=[validate_currency]
    )
    amount = forms.DecimalField(
        label=_("New call"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean_target(self) -> dict[str, Any]:
        kind, _separator, key = self.cleaned_data["target"].partition("-")
        if kind not in ("rep", "team") or not key.isdigit() or int(key) > MAX_ID:
            raise forms.ValidationError(_("Choose a rep or a team."))
        if kind == "rep":
            rep = User.objects.filter(pk=int(key), is_active=True).first()
            if rep is None:
                raise forms.ValidationError(_("Choose a rep or a team."))
            return {"rep": rep, "team": None}
        team = Team.objects.filter(pk=int(key)).first()
        if team is None:
            raise forms.ValidationError(_("Choose a rep or a team."))
        return {"rep": None, "team": team}
