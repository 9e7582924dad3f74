"""The forecast page, with its two writes: a manager's adjustment and an observed probability."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from core.views import AdminView
from forecasting.adjustments import adjustment_history
from forecasting.backtest import backtest
from forecasting.forecast import OPEN_CATEGORIES, forecast
from forecasting.forecast_table import forecast_table, report_rows
from forecasting.forms import AdjustmentForm, PeriodField, ReportFilterForm
from forecasting.observed import observed_chances
from forecasting.periods import current_quarter
from forecasting.plan import gap_plan
from forecasting.scope import ReportScope
from forecasting.services import adjust_forecast
from pipeline.models import Stage
from pipeline.services import set_stage_probability

PICKERS = ("period", "team", "rep", "pipeline")


def may_adjust_any(user: User) -> bool:
    return bool(user.is_admin or user.is_manager)


class ForecastView(LoginRequiredMixin, View):
    """The forecast of a period for the user's scope, narrowed by the URL's pickers."""

    template_name = "forecasting/forecast.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        form = ReportFilterForm(request.GET, user=user)
        # The pickers list exactly what the form accepts.
        context: dict[str, Any] = {
            "form": form,
            "teams": form.fields["team"].queryset,  # type: ignore[attr-defined]
            "reps": form.fields["rep"].queryset,  # type: ignore[attr-defined]
            "pipelines": form.fields["pipeline"].queryset,  # type: ignore[attr-defined]
        }
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        scope = form.scope()
        report = forecast(scope)
        rows = report_rows(report)
        context.update(
            scope=scope,
            period=scope.period,
            lines=forecast_table(scope, report),
            stages=report.stages,
            plans=gap_plan(scope, stages=report.stages),
            backtest_rows=backtest(scope),
            history=adjustment_history(scope),
            may_adjust=may_adjust_any(user),
            adjust_targets=[line for line in rows if line[0] != "total"],
            categories=OPEN_CATEGORIES[:3],
            return_query=urlencode(
                {name: request.GET[name] for name in PICKERS if request.GET.get(name)}
            ),
        )
        return render(request, self.template_name, context)


def _back_to_forecast(request: HttpRequest) -> HttpResponseRedirect:
    """The forecast page as it was: only the pickers of the posted query are kept."""
    query = ReportFilterForm(
        _query_of(request.POST.get("return_query", "")),
        user=request.user,  # type: ignore[arg-type]  # the views sign their users in
    )
    kept = {name: query.data[name] for name in PICKERS if query.data.get(name) and query.is_valid()}
    url = reverse("forecasting:forecast")
    return HttpResponseRedirect(f"{url}?{urlencode(kept)}" if kept else url)


def _query_of(text: str) -> dict[str, str]:
    return QueryDict(text).dict()


class AdjustForecastView(LoginRequiredMixin, View):
    """POST: a manager's or admin's new call for a rep or a team."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        user: User = request.user  # type: ignore[assignment]
        if not may_adjust_any(user):
            raise PermissionDenied
        form = AdjustmentForm(request.POST, user=user)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else name
                messages.error(request, f"{label}: {' '.join(str(error) for error in errors)}")
            return _back_to_forecast(request)
        data = form.cleaned_data
        try:
            adjust_forecast(
                by=user,
                period=data["period"],
                category=data["category"],
                currency=data["currency"],
                amount=data["amount"],
                note=data["note"],
                **data["target"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The call was adjusted."))
        return _back_to_forecast(request)


class UseObservedProbabilityView(AdminView):
    """POST: set a stage's probability to its observed chance (admins only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        stage = get_object_or_404(Stage.objects.in_use(), pk=pk)
        period_field = PeriodField(required=False)
        try:
            period = period_field.clean(request.POST.get("period", "")) or current_quarter()
        except ValidationError as error:
            messages.error(request, _("Period: %(error)s") % {"error": " ".join(error.messages)})
            return _back_to_forecast(request)
        user: User = request.user  # type: ignore[assignment]  # AdminView signed them in
        scope = ReportScope(user, period, pipeline_id=stage.pipeline_id)
        chances = {chance.stage_id: chance for chance in observed_chances(scope)}
        observed = chances[stage.pk].observed_percent if stage.pk in chances else None
        if observed is None:
            messages.error(request, _("There is too little history to observe this stage."))
            return _back_to_forecast(request)
        try:
            set_stage_probability(stage=stage, probability=observed)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(stage)s now has a win probability of %(percent)d %%.")
                % {"stage": stage.name, "percent": observed},
            )
        return _back_to_forecast(request)
