"""Settings -> Quotas: a year of quotas per team and rep, for admins and managers.

``/settings/quotas/?year=2026&kind=quarter`` shows the teams the viewer sets quotas for,
each followed by its members, one input per quarter or month. htmx saves a cell on change
(``quota_cell``: the cell comes back, with the line's and the team's totals swapped out of
band; a refused value comes back in the cell with its message, status 422). Without
JavaScript the table is one form whose Save button posts every cell: all are saved or,
on any error, none. The rules live in ``forecasting.quotas``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Team, User
from accounts.visibility import visible_users
from core.htmx import HtmxHttpRequest
from forecasting import quotas
from forecasting.periods import Period, parse_period

TEMPLATE = "forecasting/quota_settings.html"
UNPROCESSABLE = 422


class QuotaTableForm(forms.Form):
    """Which year and which kind of period the editor shows."""

    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(
        label=gettext_lazy("Periods"),
        choices=[
            (quotas.QUARTER, gettext_lazy("Quarters")),
            (quotas.MONTH, gettext_lazy("Months")),
        ],
    )


class QuotaSetterMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Admins and managers; reps get 403 (they read quotas on the dashboard)."""

    def test_func(self) -> bool:
        user = self.request.user  # type: ignore[attr-defined]
        return bool(user.is_admin or user.is_manager)


def _table_choice(data: Any) -> tuple[int, str, QuotaTableForm]:
    form = QuotaTableForm(
        {
            "year": data.get("year") or timezone.localdate().year,
            "kind": data.get("kind") or "quarter",
        }
    )
    if form.is_valid():
        return form.cleaned_data["year"], form.cleaned_data["kind"], form
    return timezone.localdate().year, quotas.QUARTER, form


def _parse_amount(text: str) -> Decimal | None:
    """The typed amount (blank removes the quota); ValidationError naming ``amount``."""
    text = text.strip().replace(" ", "").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            {"amount": _("Enter the amount as a number, such as 150000.")}
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) >= 10**12:  # type: ignore[operator]
        raise ValidationError(
            {"amount": _("Enter an amount below one trillion with at most two decimals.")}
        )
    return amount


def _owner(viewer: User, key: str) -> User | Team:
    """The user or team a field names, if ``viewer`` may set its quota; 404 otherwise."""
    kind, _sep, pk = key.partition("-")
    owner: User | Team | None = None
    if pk.isdigit():
        if kind == "user":
            owner = visible_users(viewer).select_related("team").filter(pk=int(pk)).first()
        elif kind == "team":
            owner = quotas.settable_teams(viewer).filter(pk=int(pk)).first()
    if owner is None or not quotas.may_set_quota(viewer, owner):
        raise Http404
    return owner


def _field(name: str) -> tuple[str, Period] | None:
    """``user-7:2026-Q3`` as (owner key, period); None for any other field."""
    key, _sep, token = name.partition(":")
    if not token or not key.startswith(("user-", "team-")):
        return None
    try:
        return key, parse_period(token)
    except ValueError:
        return None


def _message(error: ValidationError) -> str:
    return " ".join(message for messages in error.message_dict.values() for message in messages)


def _save(viewer: User, owner: User | Team, period: Period, text: str) -> None:
    quotas.set_quota(actor=viewer, owner=owner, period=period, amount=_parse_amount(text))


class QuotaSettingsView(QuotaSetterMixin, View):
    def get(self, request: HtmxHttpRequest) -> HttpResponse:
        year, kind, form = _table_choice(request.GET)
        table = quotas.quota_table(request.user, year, kind)  # type: ignore[arg-type]
        status = 200 if form.is_valid() else 400
        return render(request, TEMPLATE, {"table": table, "choice": form}, status=status)

    def post(self, request: HtmxHttpRequest) -> HttpResponse:
        """The form without JavaScript: every changed cell saved, or none."""
        viewer: User = request.user  # type: ignore[assignment]
        year, kind, form = _table_choice(request.POST)
        table = quotas.quota_table(viewer, year, kind)
        errors: dict[str, str] = {}
        changed = 0
        try:
            with transaction.atomic():
                for line in table.lines:
                    for cell in line.cells:
                        if cell.name not in request.POST:
                            continue
                        cell.value = request.POST[cell.name].strip()
                        if cell.value == cell_text(cell.stored):
                            continue
                        try:
                            _save(viewer, line.owner, cell.period, cell.value)
                            changed += 1
                        except ValidationError as error:
                            errors[cell.name] = _message(error)
                if errors:
                    raise ValidationError("")
        except ValidationError:
            for line in table.lines:
                for cell in line.cells:
                    cell.error = errors.get(cell.name, "")
            context = {"table": table, "choice": form, "has_errors": True}
            return render(request, TEMPLATE, context, status=UNPROCESSABLE)
        messages.success(request, _("Quotas saved (%(count)d changed).") % {"count": changed})
        url = reverse("forecasting:quota_settings")
        return HttpResponseRedirect(f"{url}?year={year}&kind={kind}")


def cell_text(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:f}"


class QuotaCellView(QuotaSetterMixin, View):
    """Save one cell (htmx); the cell, its line's total and its team's cell and total."""

    def post(self, request: HtmxHttpRequest) -> HttpResponse:
        viewer: User = request.user  # type: ignore[assignment]
        fields = [parsed for name in request.POST if (parsed := _field(name)) is not None]
        if len(fields) != 1:
            return HttpResponse(_("Send one quota cell, named like user-7:2026-Q3."), status=400)
        key, period = fields[0]
        owner = _owner(viewer, key)
        team_id = owner.pk if isinstance(owner, Team) else owner.team_id
        if team_id is None:  # the editor lists team members only
            raise Http404
        kind = quotas.QUARTER if period.is_quarter else quotas.MONTH
        value = request.POST[f"{key}:{period.token}"].strip()
        error = ""
        try:
            _save(viewer, owner, period, value)
        except ValidationError as refused:
            error = _message(refused)
        table = quotas.quota_table(viewer, period.start.year, kind, team_id=team_id)
        line = table.line(key)
        assert line is not None  # _owner found a settable member of this team
        cell = line.cell(period)
        if error:
            cell.value, cell.error = value, error
        context = {
            "table": table,
            "line": line,
            "cell": cell,
            "team_line": table.team_line(team_id),
            "team_cell": table.team_line(team_id).cell(period),
            "period": period,
        }
        return render(
            request,
            TEMPLATE + "#quota-cell-saved",
            context,
            status=UNPROCESSABLE if error else 200,
        )
