"""Input of the forecast page: the pickers in its URL and a manager's adjustment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from core.currencies import validate_currency
from forecasting.models import AdjustableCategory
from forecasting.periods import Period, current_quarter, parse_period
from forecasting.scope import ReportScope

MAX_ID = 2**31 - 1


class PeriodField(forms.CharField):
    """A period named as in URLs (2026-Q3, 2026-07); empty is this quarter."""

    def to_python(self, value: Any) -> Period:  # type: ignore[override]
        text = (super().to_python(value) or "").strip()
        if not text:
            return current_quarter()
        try:
            return parse_period(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class ForecastFilterForm(forms.Form):
    """The page's pickers; an id the user cannot see narrows the report to nothing."""

    period = PeriodField(label=_("Period"), required=False)
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1, max_value=MAX_ID)
    rep = forms.IntegerField(label=_("Rep"), required=False, min_value=1, max_value=MAX_ID)
    pipeline = forms.IntegerField(
        label=_("Pipeline"), required=False, min_value=1, max_value=MAX_ID
    )

    def scope(self, user: User) -> ReportScope:
        data = self.cleaned_data
        return ReportScope(
            user,
            data.get("period") or current_quarter(),
            rep_id=data.get("rep"),
            team_id=data.get("team"),
            pipeline_id=data.get("pipeline"),
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
