"""The steps of a web import: upload, map the columns, start. The import itself is runner.py.

Each step is one transaction and takes the acting user; an import belongs to its uploader,
and anyone else asking for it gets ImportJob.DoesNotExist (a 404).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from crm.imports.kinds import CUSTOM_FIELD_PREFIX, Field, fields_of
from crm.imports.models import ColumnMapping, ImportJob, ImportStatus
from crm.imports.options import ImportOptions
from crm.imports.parsing import CsvSource, ImportFileError
from crm.imports.presets import Preset, preset_mapping, preset_options, recognise
from crm.imports.runner import check_mapping
from crm.imports.storage import open_file, store_file
from crm.imports.tasks import import_uploaded_file
from crm.imports.value_mapping import CHOICE_FIELDS, choices_of
from pipeline.models import Stage

MAX_FILE_BYTES = 100 * 1024 * 1024


def header_signature(header: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(name.casefold() for name in header).encode()).hexdigest()


def suggested_mapping(
    *, by: User, kind: str, header: list[str], preset: Preset | None = None
) -> dict[str, str]:
    """The mapping ``by`` chose last time for a file with this header, else the recognised
    export's, else matching names."""
    remembered = (
        ColumnMapping.objects.filter(user=by, kind=kind, header_signature=header_signature(header))
        .values_list("mapping", flat=True)
        .first()
    )
    if remembered is not None:
        return {field: column for field, column in remembered.items() if column in header}
    return proposed_mapping(kind=kind, header=header, preset=preset)


def proposed_mapping(*, kind: str, header: list[str], preset: Preset | None) -> dict[str, str]:
    """A recognised export's mapping, with custom fields named like a column; without one,
    every field named like a column.

    A preset maps only what the vendor's columns mean: their "Pipeline" column names the
    vendor's pipelines, not ours, so it is not taken for our pipeline field by its name.
    """
    fields = fields_of(kind)
    guessed = guessed_mapping(kind=kind, header=header, fields=fields)
    if preset is None:
        return guessed
    custom = {name: column for name, column in guessed.items() if is_custom_field(name)}
    return custom | preset_mapping(preset, header, fields)


def is_custom_field(name: str) -> bool:
    return name.startswith(CUSTOM_FIELD_PREFIX)


def guessed_mapping(
    *, kind: str, header: list[str], fields: Sequence[Field] | None = None
) -> dict[str, str]:
    """Fields whose name or label is a column's name, mapped to that column."""
    by_name = {column.casefold(): column for column in header}
    mapping = {}
    for field in fields_of(kind) if fields is None else fields:
        column = next((by_name[name] for name in field.column_names if name in by_name), None)
        if column is not None:
            mapping[field.name] = column
    return mapping


@transaction.atomic
def upload_import(
    *, by: User, kind: str, file_name: str, chunks: Iterable[bytes], encoding: str, delimiter: str
) -> ImportJob:
    """Store an uploaded file and read it through once: header, row count, encoding.

    Raises ValidationError (keyed "file") when the file cannot be read; then nothing is kept.
    """
    job = ImportJob.objects.create(
        kind=kind, file_name=file_name[:255], encoding=encoding, delimiter=delimiter, created_by=by
    )
    size = store_file(job, chunks)
    if size > MAX_FILE_BYTES:
        message = _("The file is larger than %(size)s MB; split it.")
        raise ValidationError({"file": message % {"size": MAX_FILE_BYTES >> 20}})
    source = CsvSource(lambda: open_file(job.pk), encoding, delimiter)
    try:
        source = source.with_delimiter()
        header, rows = source.read()
        total = sum(1 for _row in rows)
    except ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    if not total:
        raise ValidationError({"file": _("The file has a header but no rows.")})
    preset = recognise(kind, header)
    job.delimiter = source.delimiter
    job.header = header
    job.rows_total = total
    job.file_size = size
    job.mapping = suggested_mapping(by=by, kind=kind, header=header, preset=preset)
    job.preset = preset.name if preset else ""
    job.options = (preset_options(preset) if preset else ImportOptions()).to_json()
    job.save(
        update_fields=[
            "delimiter",
            "header",
            "rows_total",
            "file_size",
            "mapping",
            "preset",
            "options",
        ]
    )
    return job


@transaction.atomic
def map_columns(*, by: User, job_id: int, mapping: Mapping[str, str]) -> ImportJob:
    """Save which column feeds which field, and remember it for the next such file."""
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        raise ValidationError(_("This import has already started."))
    chosen = {field: column for field, column in mapping.items() if column}
    try:
        check_mapping(job.kind, job.header, chosen)
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
    job.mapping = chosen
    job.status = ImportStatus.PREVIEWED
    job.save(update_fields=["mapping", "status"])
    ColumnMapping.objects.update_or_create(
        user=by,
        kind=job.kind,
        header_signature=header_signature(job.header),
        defaults={"mapping": chosen},
    )
    return job


@transaction.atomic
def map_values(
    *,
    by: User,
    job_id: int,
    stages: Mapping[str, int],
    values: Mapping[str, Mapping[str, str]],
) -> ImportJob:
    """Save which stage and which choice each of the file's values means; writes no record.

    ``stages``: the file's stage value -> stage id; ``values``: field -> {value: ours}. The
    form offered only stages in use and our choices; they are checked again here, since a
    stage may have been retired since the page was shown.
    """
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This import has already started."))
    in_use = set(
        Stage.objects.in_use().filter(pipeline__is_active=True).values_list("pk", flat=True)
    )
    retired = sorted(value for value, stage_id in stages.items() if stage_id not in in_use)
    if retired:
        raise ValidationError(
            _("Choose another stage for: %(values)s.") % {"values": ", ".join(retired)}
        )
    for name, pairs in values.items():
        if name not in CHOICE_FIELDS.get(job.kind, {}):
            raise ValidationError(
                _("A %(kind)s import maps no values of %(field)s.")
                % {"kind": job.get_kind_display(), "field": name}
            )
        codes = {code for code, _label in choices_of(job.kind, name)}
        wrong = sorted(value for value, ours in pairs.items() if ours not in codes)
        if wrong:
            raise ValidationError(
                _("Choose one of our values for: %(values)s.") % {"values": ", ".join(wrong)}
            )
    options = ImportOptions.from_json(job.options)
    options.stages = dict(stages)
    options.values = {**options.values, **{name: dict(pairs) for name, pairs in values.items()}}
    job.options = options.to_json()
    job.save(update_fields=["options"])
    return job


@transaction.atomic
def start_import(*, by: User, job_id: int) -> ImportJob:
    """Queue a mapped import for a worker; starting it twice queues it once."""
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This import has already started."))
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    transaction.on_commit(lambda: import_uploaded_file.delay(job.pk))
    return job
