from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django.views.generic import TemplateView

from forecasting import metrics
from forecasting.periods import quarter_of


class DashboardView(LoginRequiredMixin, TemplateView):
    """The user's open pipeline, quarter-to-date won against quota, and what needs care."""

    template_name = "forecasting/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # The quarter in the user's own zone (activated by UserTimezoneMiddleware): a deal
        # won on the evening of 31 March in New York counts in Q1, though UTC says April.
        period = quarter_of(timezone.localdate())
        context.update(
            scope_label=metrics.scope_label(user),
            period=period,
            open_pipeline=metrics.open_pipeline(user),
            attainments=metrics.won_against_quota(user, period),
            overdue_task_count=metrics.overdue_task_count(user),
        )
        return context
