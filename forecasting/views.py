"""The dashboard page, its chart data and its CSV tables: one filter form, one scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import User
from core.csv_export import plain_csv_lines, spreadsheet_safe, streaming_csv
from forecasting import metrics
from forecasting.charts import CHARTS
from forecasting.dashboard import is_rep_view, manager_dashboard, rep_dashboard
from forecasting.forms import DashboardFilterForm
from forecasting.periods import current_quarter
from forecasting.tables import LABELS, TABLES, tables_for


class SignedInRequest(HttpRequest):
    """What these views get: LoginRequiredMixin has turned anonymous users away."""

    user: User


class DashboardView(LoginRequiredMixin, TemplateView):
    """A rep's or a team's dashboard for the period, team, rep and pipeline in the URL.

    ``?format=csv&table=<name>`` downloads one of its tables with the same scope.
    """

    template_name = "forecasting/dashboard.html"

    def get(self, request: SignedInRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]
        form = DashboardFilterForm(request.GET or None, user=request.user)
        if request.GET and not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        if not request.GET:
            # The pickers show what the figures cover: this quarter, everyone in scope.
            form = DashboardFilterForm({"period": current_quarter().token}, user=request.user)
            form.is_valid()
        scope = form.scope()
        if is_rep_view(scope):
            figures: Any = rep_dashboard(scope)
        else:
            figures = manager_dashboard(scope, form.movement_since())
        if request.GET.get("format") == "csv":
            return self.csv(request.GET.get("table", ""), figures, scope.period.token)
        query = request.GET.copy()
        query.pop("format", None)
        query.pop("table", None)
        context = {
            "form": form,
            "scope": scope,
            "period": scope.period,
            "scope_label": metrics.scope_label(request.user),
            "rep_view": is_rep_view(scope),
            "figures": figures,
            "chart_query": query.urlencode(),
            "tables": [(name, LABELS[name]) for name in tables_for(figures)],
        }
        return render(request, self.template_name, context)

    def csv(self, table: str, figures: Any, period: str) -> HttpResponseBase:
        offered = tables_for(figures)
        if table not in offered:
            message = _("Unknown table “%(table)s”: choose one of %(names)s.") % {
                "table": table,
                "names": ", ".join(offered),
            }
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        safe = ([spreadsheet_safe(cell) for cell in row] for row in TABLES[table](figures))
        return streaming_csv(f"dashboard-{table}-{period}", plain_csv_lines(safe))


class DashboardChartView(LoginRequiredMixin, View):
    """``/dashboard/charts/<name>/?<the dashboard's query>``: one chart's data as JSON."""

    def get(self, request: SignedInRequest, name: str) -> HttpResponse:
        chart = CHARTS.get(name)
        if chart is None:
            raise Http404
        form = DashboardFilterForm(request.GET, user=request.user)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        return JsonResponse(chart(form.scope()))
