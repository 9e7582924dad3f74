"""Pipeline and stage settings, for admins: list, stage editor, reorder, edit, remove.

Every page works as plain forms and links (POST, then a redirect); with htmx the stage
editor swaps fragments of ``pipeline/settings/pipeline_editor.html`` instead: a row
(``stage-row``, element ``stage-<pk>``) after an inline edit, the whole editor
(``stage-editor``) after a reorder or an added stage. Invalid input answers 422 with the
form and its errors in place. The rules themselves live in ``pipeline.services.stages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.forms import add_service_errors
from core.views import AdminRequest, AdminView
from pipeline.forms.stage_settings import (
    AddStageForm,
    DeleteStageForm,
    PipelineNameForm,
    StageOrderForm,
    StageSettingsForm,
)
from pipeline.models import (
    EntryField,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageKind,
    board_order,
)
from pipeline.services import (
    add_stage,
    check_stage_removable,
    create_pipeline,
    delete_stage,
    rename_pipeline,
    reorder_stages,
    set_pipeline_active,
    update_stage,
)

LIST_TEMPLATE = "pipeline/settings/pipeline_list.html"
EDITOR_TEMPLATE = "pipeline/settings/pipeline_editor.html"
DELETE_TEMPLATE = "pipeline/settings/stage_delete.html"
UNPROCESSABLE = 422


def editor_url(pipeline_id: int, stage_id: int | None = None) -> str:
    url = reverse("pipeline:pipeline_settings", args=[pipeline_id])
    return f"{url}#stage-{stage_id}" if stage_id else url


# --- reads for the pages ----------------------------------------------------------------------


@dataclass
class DealCounts:
    total: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0


def deal_counts(stage_ids: list[int]) -> dict[int, DealCounts]:
    """Deals per stage and status, in one aggregate query."""
    rows = (
        Opportunity.objects.filter(stage_id__in=stage_ids)
        .values("stage_id")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=OpportunityStatus.OPEN)),
            won=Count("pk", filter=Q(status=OpportunityStatus.WON)),
            lost=Count("pk", filter=Q(status=OpportunityStatus.LOST)),
        )
        .order_by()
    )
    return {
        row["stage_id"]: DealCounts(row["total"], row["open"], row["won"], row["lost"])
        for row in rows
    }


@dataclass
class StageRow:
    """One row of the stage editor: the stage and what the row shows beside it."""

    stage: Stage
    deals: DealCounts
    entry_field_labels: list[str]
    # The full order each arrow button posts; None where the stage cannot move that way.
    order_up: list[int] | None = None
    order_down: list[int] | None = None
    form: StageSettingsForm | None = None


def _swapped(ids: list[int], index: int, other: int) -> list[int]:
    order = list(ids)
    order[index], order[other] = order[other], order[index]
    return order


def stage_rows(stages: list[Stage], counts: dict[int, DealCounts]) -> list[StageRow]:
    """Rows for stages in board order: deal counts, field labels, the arrows' orders."""
    labels = dict(EntryField.choices)
    open_ids = [stage.pk for stage in stages if stage.kind == StageKind.OPEN]
    closing_ids = [stage.pk for stage in stages if stage.kind != StageKind.OPEN]
    rows = []
    for stage in stages:
        row = StageRow(
            stage=stage,
            deals=counts.get(stage.pk, DealCounts()),
            entry_field_labels=[str(labels.get(name, name)) for name in stage.entry_fields],
        )
        if stage.kind == StageKind.OPEN:
            index = open_ids.index(stage.pk)
            if index > 0:
                row.order_up = _swapped(open_ids, index, index - 1) + closing_ids
            if index < len(open_ids) - 1:
                row.order_down = _swapped(open_ids, index, index + 1) + closing_ids
        rows.append(row)
    return rows


def editor_rows(pipeline: Pipeline) -> list[StageRow]:
    """The pipeline's stages in use, in board order, as rows: two queries."""
    stages = board_order(Stage.objects.in_use().filter(pipeline=pipeline))
    return stage_rows(stages, deal_counts([stage.pk for stage in stages]))


def render_editor(
    request: AdminRequest,
    pipeline: Pipeline,
    *,
    fragment: str = "",
    status: int = 200,
    add_form: AddStageForm | None = None,
    rename_form: PipelineNameForm | None = None,
    editing_id: int | None = None,
    editing_form: StageSettingsForm | None = None,
    row_id: int | None = None,
    notice: str = "",
    order_error: str = "",
) -> HttpResponse:
    """The stage editor page, or one of its fragments.

    ``editing_id`` names the stage whose row shows its form (``editing_form`` if given);
    ``row_id`` the stage the ``stage-row`` fragment renders.
    """
    rows = editor_rows(pipeline)
    for row in rows:
        if row.stage.pk == editing_id:
            row.form = editing_form or StageSettingsForm.for_stage(row.stage)
    context: dict[str, Any] = {
        "pipeline": pipeline,
        "open_rows": [row for row in rows if row.stage.kind == StageKind.OPEN],
        "closing_rows": [row for row in rows if row.stage.kind != StageKind.OPEN],
        "add_form": add_form or AddStageForm(),
        "rename_form": rename_form or PipelineNameForm(initial={"name": pipeline.name}),
        "notice": notice,
        "order_error": order_error,
    }
    if fragment == "stage-row":
        context["row"] = next(row for row in rows if row.stage.pk == row_id)
    template = f"{EDITOR_TEMPLATE}#{fragment}" if fragment else EDITOR_TEMPLATE
    return render(request, template, context, status=status)


def get_stage(pk: int) -> Stage:
    return get_object_or_404(Stage.objects.in_use().select_related("pipeline"), pk=pk)


# --- pipelines --------------------------------------------------------------------------------


@dataclass
class PipelineSummary:
    pipeline: Pipeline
    stages: list[Stage]
    open_deal_count: int


class PipelineListView(AdminView):
    """Every pipeline with its stages; POST adds a pipeline (with won and lost stages)."""

    def get(self, request: AdminRequest) -> HttpResponse:
        return self.render_list(request, PipelineNameForm())

    def post(self, request: AdminRequest) -> HttpResponse:
        form = PipelineNameForm(request.POST)
        if form.is_valid():
            try:
                pipeline = create_pipeline(name=form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Pipeline %(name)s added. Add its open stages, then activate it.")
                    % {"name": pipeline.name},
                )
                return HttpResponseRedirect(editor_url(pipeline.pk))
        return self.render_list(request, form, status=UNPROCESSABLE)

    def render_list(
        self, request: AdminRequest, form: PipelineNameForm, status: int = 200
    ) -> HttpResponse:
        pipelines = list(Pipeline.objects.all())
        stages: dict[int, list[Stage]] = {pipeline.pk: [] for pipeline in pipelines}
        for stage in Stage.objects.in_use().filter(pipeline_id__in=list(stages)):
            stages[stage.pipeline_id].append(stage)
        open_deals = dict(
            Opportunity.objects.open()
            .values("pipeline_id")
            .annotate(count=Count("pk"))
            .order_by()
            .values_list("pipeline_id", "count")
        )
        summaries = [
            PipelineSummary(
                pipeline=pipeline,
                stages=board_order(stages[pipeline.pk]),
                open_deal_count=open_deals.get(pipeline.pk, 0),
            )
            for pipeline in pipelines
        ]
        context = {"summaries": summaries, "form": form}
        return render(request, LIST_TEMPLATE, context, status=status)


class PipelineEditorView(AdminView):
    """The stage editor; ``?edit=<stage pk>`` opens one row's form (the no-JS inline edit)."""

    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        edit = request.GET.get("edit", "")
        return render_editor(request, pipeline, editing_id=int(edit) if edit.isdigit() else None)


class RenamePipelineView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        form = PipelineNameForm(request.POST)
        if form.is_valid():
            try:
                rename_pipeline(pipeline=pipeline, name=form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Pipeline renamed."))
                return HttpResponseRedirect(editor_url(pipeline.pk))
        pipeline.refresh_from_db()
        return render_editor(request, pipeline, rename_form=form, status=UNPROCESSABLE)


class SetPipelineActiveView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        is_active = request.POST.get("is_active") == "1"
        try:
            set_pipeline_active(pipeline=pipeline, is_active=is_active)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if is_active:
                messages.success(request, _("The pipeline is active: reps see it on the board."))
            else:
                messages.success(request, _("The pipeline is inactive: hidden from the board."))
        return HttpResponseRedirect(editor_url(pipeline.pk))


# --- stages -----------------------------------------------------------------------------------


class AddStageView(AdminView):
    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        form = AddStageForm(request.POST)
        if form.is_valid():
            try:
                stage = add_stage(pipeline=pipeline, **form.service_arguments())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                notice = _("Stage %(name)s added.") % {"name": stage.name}
                if request.htmx:
                    return render_editor(request, pipeline, fragment="stage-editor", notice=notice)
                messages.success(request, notice)
                return HttpResponseRedirect(editor_url(pipeline.pk, stage.pk))
        fragment = "stage-editor" if request.htmx else ""
        return render_editor(
            request, pipeline, fragment=fragment, add_form=form, status=UNPROCESSABLE
        )


class ReorderStagesView(AdminView):
    """Save a new stage order: from a drag (every stage id in order) or an arrow button."""

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        pipeline = get_object_or_404(Pipeline, pk=pk)
        form = StageOrderForm(request.POST)
        error_message = ""
        if form.is_valid():
            try:
                reorder_stages(pipeline=pipeline, stage_ids=form.cleaned_data["stage_ids"])
            except ValidationError as error:
                error_message = " ".join(error.messages)
        else:
            error_message = " ".join(str(error) for error in form.errors.get("stage_ids", []))
        moved = request.POST.get("moved", "")
        moved_id = int(moved) if moved.isdigit() else None
        if request.htmx:
            return render_editor(
                request,
                pipeline,
                fragment="stage-editor",
                notice="" if error_message else _("Stage order saved."),
                order_error=error_message,
                status=UNPROCESSABLE if error_message else 200,
            )
        if error_message:
            messages.error(request, error_message)
        else:
            messages.success(request, _("Stage order saved."))
        return HttpResponseRedirect(editor_url(pipeline.pk, moved_id))


class StageRowView(AdminView):
    """One stage row as shown (what an inline edit's Cancel swaps back in)."""

    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        stage = get_stage(pk)
        if not request.htmx:
            return HttpResponseRedirect(editor_url(stage.pipeline_id, stage.pk))
        return render_editor(request, stage.pipeline, fragment="stage-row", row_id=stage.pk)


class StageEditView(AdminView):
    """A stage's inline form: GET opens it, POST saves it and shows the row again."""

    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        stage = get_stage(pk)
        fragment = "stage-row" if request.htmx else ""
        return render_editor(
            request, stage.pipeline, fragment=fragment, editing_id=stage.pk, row_id=stage.pk
        )

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        stage = get_stage(pk)
        form = StageSettingsForm.for_stage(stage, request.POST)
        if form.is_valid():
            try:
                update_stage(stage=stage, **form.service_arguments())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if request.htmx:
                    return render_editor(
                        request, stage.pipeline, fragment="stage-row", row_id=stage.pk
                    )
                messages.success(request, _("Stage %(name)s saved.") % {"name": stage.name})
                return HttpResponseRedirect(editor_url(stage.pipeline_id, stage.pk))
        fragment = "stage-row" if request.htmx else ""
        return render_editor(
            request,
            stage.pipeline,
            fragment=fragment,
            editing_id=stage.pk,
            editing_form=form,
            row_id=stage.pk,
            status=UNPROCESSABLE,
        )


class DeleteStageView(AdminView):
    """Confirm removing a stage; if it holds deals, ask which stage they move to."""

    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        stage = get_stage(pk)
        return self.render_page(request, stage)

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        stage = get_stage(pk)
        form = self.make_form(stage, self.counts(stage), request.POST)
        if form.is_valid():
            try:
                removal = delete_stage(
                    stage=stage, move_deals_to=form.cleaned_data["move_deals_to"], by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if removal.target is not None:
                    message = ngettext(
                        "Stage %(name)s removed; its deal is now in %(target)s.",
                        "Stage %(name)s removed; its %(count)d deals are now in %(target)s.",
                        removal.moved,
                    ) % {"name": stage.name, "count": removal.moved, "target": removal.target.name}
                else:
                    message = _("Stage %(name)s removed.") % {"name": stage.name}
                messages.success(request, message)
                return HttpResponseRedirect(editor_url(stage.pipeline_id))
        return self.render_page(request, stage, form, status=UNPROCESSABLE)

    def counts(self, stage: Stage) -> DealCounts:
        return deal_counts([stage.pk]).get(stage.pk, DealCounts())

    def make_form(self, stage: Stage, counts: DealCounts, data: Any = None) -> DeleteStageForm:
        targets = (
            Stage.objects.in_use()
            .filter(pipeline_id=stage.pipeline_id, kind=stage.kind)
            .exclude(pk=stage.pk)
            .order_by("position", "pk")
        )
        return DeleteStageForm(data, targets=targets, deal_count=counts.total)

    def render_page(
        self,
        request: AdminRequest,
        stage: Stage,
        form: DeleteStageForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        counts = self.counts(stage)
        form = form or self.make_form(stage, counts)
        others = list(
            Stage.objects.in_use().filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk)
        )
        blocker = ""
        try:
            check_stage_removable(pipeline=stage.pipeline, stage=stage, others=others)
        except ValidationError as error:
            blocker = " ".join(error.messages)
        has_target = any(other.kind == stage.kind for other in others)
        context = {
            "stage": stage,
            "pipeline": stage.pipeline,
            "counts": counts,
            "form": form,
            "blocker": blocker,
            "has_target": has_target,
        }
        return render(request, DELETE_TEMPLATE, context, status=status)
