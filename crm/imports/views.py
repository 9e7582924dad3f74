"""The import pages: upload, map columns, preview, then progress and the report.

An import belongs to its uploader: only they map and start it (others get a 404); admins
may also watch any import's progress and report. The progress page polls itself with
htmx (the ``import-status`` partial) until the import is done or failed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.csv_export import plain_csv_lines, streaming_csv
from core.htmx import login_required_for_htmx
from crm.imports import column_fields, services
from crm.imports.column_fields import can_add_fields
from crm.imports.dates import DateColumn
from crm.imports.forms import DateOrdersForm, MappingForm, UploadForm
from crm.imports.kinds import FIELDS, fields_of, unmapped_columns
from crm.imports.models import ImportJob, ImportKind, ImportStatus
from crm.imports.options import ImportOptions
from crm.imports.owners import OwnerLookup
from crm.imports.parsing import ImportFileError
from crm.imports.reports import job_report_rows
from crm.imports.runner import PreviewRow, preview_import, source_of

# The mapping page's button that turns an unmapped column into a custom field.
NEW_FIELD = "new_field"
RECENT_IMPORTS = 20
PREVIEW_ROWS = 20
REJECTIONS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """The upload form, and the user's recent imports."""
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = services.upload_import(
                    by=request.user,
                    kind=data["kind"],
                    file_name=data["file"].name,
                    chunks=data["file"].chunks(),
                    encoding=data["encoding"],
                    delimiter=data["delimiter"],
                    file_format=data["file_format"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("imports:columns", pk=job.pk)
    else:
        kind = request.GET.get("kind")
        form = UploadForm(initial={"kind": kind} if kind in ImportKind.values else None)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")
    context = {"form": form, "jobs": jobs[:RECENT_IMPORTS]}
    return render(request, "imports/import_list.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def map_columns(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.editable_by(request.user), pk=pk)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        return redirect("imports:detail", pk=job.pk)
    form = MappingForm(request.POST or None, job=job, by=request.user)
    if request.method == "POST" and NEW_FIELD in request.POST:
        return _add_column_field(request, job, form)
    if request.method == "POST" and form.is_valid():
        try:
            services.map_columns(
                by=request.user, job_id=job.pk, mapping=form.mapping(), **form.owner_choice()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("imports:preview", pk=job.pk)
    return _mapping_page(request, job, form)


def _mapping_page(
    request: HttpRequest, job: ImportJob, form: MappingForm, column_error: str = ""
) -> HttpResponse:
    unmapped: list[str] = []
    if request.user.is_admin and can_add_fields(job.kind):
        unmapped = unmapped_columns(job.header, job.mapping)
    context = {
        "job": job,
        "form": form,
        "unmapped": unmapped,
        "new_field": NEW_FIELD,
        "column_error": column_error,
    }
    failed = form.errors or column_error
    return render(request, "imports/mapping.html", context, status=400 if failed else 200)


def _add_column_field(request: HttpRequest, job: ImportJob, form: MappingForm) -> HttpResponse:
    """The mapping page's "add as a custom field" button: define, map, and show the page."""
    column = request.POST[NEW_FIELD]
    try:
        column_fields.add_column_field(
            by=request.user, job_id=job.pk, column=column, mapping=form.chosen_columns()
        )
    except ValidationError as error:
        # The page again, with what was chosen so far and the reason next to the buttons.
        job.mapping = form.chosen_columns()
        reason = " ".join(error.message_dict.get("column", error.messages))
        return _mapping_page(
            request, job, MappingForm(job=job, by=request.user), column_error=reason
        )
    messages.success(
        request,
        _("“%(column)s” is a new custom field, and the column is mapped to it.")
        % {"column": column},
    )
    return redirect("imports:columns", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The first rows as the import will treat them; posting starts the import."""
    job = get_object_or_404(ImportJob.objects.editable_by(request.user), pk=pk)
    if request.method == "POST":
        try:
            services.start_import(by=request.user, job_id=job.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if job.status == ImportStatus.PREVIEWED:
                return redirect("imports:preview", pk=job.pk)  # still to be decided there
        return redirect("imports:detail", pk=job.pk)
    if job.status == ImportStatus.UPLOADED:
        return redirect("imports:columns", pk=job.pk)
    if job.status != ImportStatus.PREVIEWED:
        return redirect("imports:detail", pk=job.pk)
    error = ""
    rows: list[PreviewRow] = []
    dates: list[DateColumn] = []
    not_found: dict[str, list[str]] = {}
    known = fields_of(job.kind)
    options = ImportOptions.from_json(job.options)
    owners: list[OwnerLookup] = []
    try:
        shown = preview_import(
            by=request.user,
            kind=job.kind,
            source=source_of(job),
            mapping=job.mapping,
            limit=PREVIEW_ROWS,
            fields=known,
            options=options,
            recorded_dates=job.date_evidence,
            on_plan=lambda writer: owners.append(writer.owners),
        )
    except ImportFileError as problem:
        error = str(problem)
    else:
        rows, dates, not_found = shown.rows, shown.dates, shown.not_found
    fields = [field for field in known if field.name in job.mapping]
    labels = {field.name: field.label for field in known}
    # Columns the user must or did decide: their order can be chosen (again) here.
    asked = [column for column in dates if column.either_way and column.decided_by != "file"]
    context = {
        "job": job,
        "fields": fields,
        "rows": rows,
        "error": error,
        "dates": dates,
        "date_orders_form": DateOrdersForm(
            fields=[column.field for column in asked], initial=options.date_orders
        ),
        "needs_date_order": any(column.needs_order for column in dates),
        "unknown_owners": list(owners[0].unknown.values()) if owners else [],
        "owners_to": owners[0].recipient if owners else None,
        "ignored": unmapped_columns(job.header, job.mapping),
        "not_found": [(labels.get(name, name), names) for name, names in not_found.items()],
        "preview_size": len(rows),
    }
    return render(request, "imports/preview.html", context)


@login_required
@require_POST
def choose_date_orders(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the order of day and month chosen for date columns, then show the preview."""
    job = get_object_or_404(ImportJob.objects.editable_by(request.user), pk=pk)
    # Custom fields are never dates: the kind's own fields are enough, without a query.
    dated = [field for field in FIELDS[job.kind] if field.temporal and field.name in job.mapping]
    form = DateOrdersForm(request.POST, fields=dated)
    if not form.is_valid():
        messages.error(request, _("Choose day first or month first."))
        return redirect("imports:preview", pk=job.pk)
    try:
        services.choose_date_orders(by=request.user, job_id=job.pk, orders=form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:detail", pk=job.pk)
    return redirect("imports:preview", pk=job.pk)


@login_required_for_htmx
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress while the import runs, then what it did and every row it rejected."""
    job = get_object_or_404(
        ImportJob.objects.visible_to(request.user).select_related("created_by"), pk=pk
    )
    rejections = Paginator(job.rejections.all(), REJECTIONS_PER_PAGE)
    template = "imports/import_detail.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#import-status"
    context = {
        "job": job,
        "rejections": rejections.get_page(request.GET.get("page")),
        "can_edit": job.created_by_id == request.user.pk,
    }
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def rejections_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows as the file had them, with a Reason column: to fix and import again."""
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    filename = _("rejected-rows-%(id)s") % {"id": job.pk}
    return streaming_csv(filename, plain_csv_lines(job_report_rows(job)))
