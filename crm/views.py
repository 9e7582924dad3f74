"""Pages that span apps: the landing redirect, the admins' settings overview, the favicon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db.models import Model, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Team, User
from contacts.models import LeadPolicy, QualificationCriterion
from core.views import AdminOnlyMixin
from crm.models import JobRun
from forecasting.models import Quota
from pipeline.models import EntryField, Pipeline, Stage


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by browsers on pages that link no icon (the admin, the API)."""
    # Looked up per request: the hashed name exists only once collectstatic has run.
    return redirect(static("favicon.svg"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the board of the first active pipeline, or explain why there is none."""
    pipeline = Pipeline.objects.active().first()
    if pipeline is not None:
        return redirect("pipeline:board", pk=pipeline.pk)
    return render(request, "crm/home.html")


@dataclass(frozen=True)
class AdminLink:
    label: str
    url: str


# What admins configure; editing happens in the Django admin until real forms replace it.
ADMIN_MODELS: tuple[type[Model], ...] = (
    Pipeline,
    Stage,
    Team,
    User,
    Quota,
    QualificationCriterion,
    LeadPolicy,
)


def admin_links() -> list[AdminLink]:
    """Links to the admin change lists of the configuration models that are registered."""
    return [
        AdminLink(
            label=str(model._meta.verbose_name_plural).capitalize(),
            url=reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"),
        )
        for model in ADMIN_MODELS
        if admin.site.is_registered(model)
    ]


NIGHTLY_RUNS_SHOWN = 5


class SettingsView(AdminOnlyMixin, TemplateView):
    """Pipelines, stages and teams at a glance, for admins only (others get 403)."""

    template_name = "crm/settings.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        pipelines = list(
            Pipeline.objects.prefetch_related(
                Prefetch("stages", queryset=Stage.objects.order_by("position", "pk"))
            )
        )
        entry_field_labels = dict(EntryField.choices)
        for pipeline in pipelines:
            for stage in pipeline.stages.all():
                stage.entry_field_labels = [
                    entry_field_labels.get(name, name) for name in stage.entry_fields
                ]
        context["pipelines"] = pipelines
        context["teams"] = Team.objects.select_related("manager").prefetch_related(
            Prefetch(
                "members",
                queryset=User.objects.filter(is_active=True).order_by(
                    "last_name", "first_name", "username"
                ),
            )
        )
        context["admin_links"] = admin_links()
        # The last nightly runs with their jobs' rows and times (two queries at any size).
        context["nightly_runs"] = JobRun.objects.prefetch_related("steps")[:NIGHTLY_RUNS_SHOWN]
        return context
