"""The steps of a web import: upload, map the columns, start. The import itself is runner.py.

Each step is one transaction and takes the acting user; an import belongs to its uploader,
and anyone else asking for it gets ImportJob.DoesNotExist (a 404).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from crm.imports.dates import FileEvidence, require_orders, scan_dates
from crm.imports.kinds import FIELDS, column_indexes, fields_of
from crm.imports.models import ColumnMapping, FileFormat, ImportJob, ImportStatus
from crm.imports.options import DateOrder, ImportOptions, UnknownOwners
from crm.imports.parsing import ImportFileError
from crm.imports.runner import check_mapping, source_of
from crm.imports.storage import store_file
from crm.imports.tasks import import_uploaded_file
from crm.imports.writers import WRITERS

MAX_FILE_BYTES = 100 * 1024 * 1024


def header_signature(header: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(name.casefold() for name in header).encode()).hexdigest()


def suggested_mapping(*, by: User, kind: str, header: list[str]) -> dict[str, str]:
    """The mapping ``by`` chose last time for a file with this header, else matching names."""
    remembered = (
        ColumnMapping.objects.filter(user=by, kind=kind, header_signature=header_signature(header))
        .values_list("mapping", flat=True)
        .first()
    )
    if remembered is not None:
        return {field: column for field, column in remembered.items() if column in header}
    return guessed_mapping(kind=kind, header=header)


def guessed_mapping(*, kind: str, header: list[str]) -> dict[str, str]:
    """Fields whose name or label is a column's name, mapped to that column."""
    by_name = {column.casefold(): column for column in header}
    mapping = {}
    for field in fields_of(kind):
        column = next((by_name[name] for name in field.column_names if name in by_name), None)
        if column is not None:
            mapping[field.name] = column
    return mapping


@transaction.atomic
def upload_import(
    *,
    by: User,
    kind: str,
    file_name: str,
    chunks: Iterable[bytes],
    encoding: str,
    delimiter: str,
    file_format: str = FileFormat.CSV,
) -> ImportJob:
    """Store an uploaded file and read it through once: header, row count, encoding.

    Raises ValidationError (keyed "file") when the file cannot be read; then nothing is kept.
    """
    job = ImportJob.objects.create(
        kind=kind,
        file_name=file_name[:255],
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        created_by=by,
    )
    size = store_file(job, chunks)
    if size > MAX_FILE_BYTES:
        message = _("The file is larger than %(size)s MB; split it.")
        raise ValidationError({"file": message % {"size": MAX_FILE_BYTES >> 20}})
    source = source_of(job)
    try:
        source = source.with_delimiter()
        header, rows = source.read()
        # One pass: the rows are counted and their dates' evidence gathered together.
        evidence = FileEvidence(header)
        total = 0
        for row in rows:
            total += 1
            evidence.add(row)
    except ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    if not total:
        raise ValidationError({"file": _("The file has a header but no rows.")})
    job.delimiter = source.delimiter
    job.header = header
    job.rows_total = total
    job.file_size = size
    job.mapping = suggested_mapping(by=by, kind=kind, header=header)
    job.date_evidence = evidence.to_json()
    job.save(
        update_fields=["delimiter", "header", "rows_total", "file_size", "mapping", "date_evidence"]
    )
    return job


def check_unknown_owners(
    *, by: User, kind: str, unknown_owners: str, owners_to: User | None
) -> None:
    """What to do with owners the CRM does not know, if ``by`` may choose it; raises
    ValidationError keyed by the choice otherwise. One query when records go to a user."""
    if unknown_owners == UnknownOwners.CREATE and not by.is_admin:
        raise ValidationError({"unknown_owners": _("Only admins may create users.")})
    if unknown_owners == UnknownOwners.ASSIGN:
        candidates = WRITERS[kind].owner_candidates(by)
        if owners_to is None or not candidates.filter(pk=owners_to.pk).exists():
            raise ValidationError(
                {"owners_to": _("Choose an active user you may give records to.")}
            )


@transaction.atomic
def map_columns(
    *,
    by: User,
    job_id: int,
    mapping: Mapping[str, str],
    unknown_owners: str = UnknownOwners.REJECT,
    owners_to: User | None = None,
) -> ImportJob:
    """Save which column feeds which field, and remember it for the next such file.

    ``unknown_owners`` (and ``owners_to`` for UnknownOwners.ASSIGN): what happens to rows
    whose owner the CRM does not know; kept in the job's options.
    """
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        raise ValidationError(_("This import has already started."))
    chosen = {field: column for field, column in mapping.items() if column}
    try:
        check_mapping(job.kind, job.header, chosen)
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
    check_unknown_owners(by=by, kind=job.kind, unknown_owners=unknown_owners, owners_to=owners_to)
    options = ImportOptions.from_json(job.options)
    options.unknown_owners = unknown_owners
    options.owners_to = (
        owners_to.pk if owners_to and unknown_owners == UnknownOwners.ASSIGN else None
    )
    job.options = options.to_json()
    job.mapping = chosen
    job.status = ImportStatus.PREVIEWED
    job.save(update_fields=["mapping", "options", "status"])
    ColumnMapping.objects.update_or_create(
        user=by,
        kind=job.kind,
        header_signature=header_signature(job.header),
        defaults={"mapping": chosen},
    )
    return job


@transaction.atomic
def choose_date_orders(*, by: User, job_id: int, orders: Mapping[str, str]) -> ImportJob:
    """Save the order of day and month the user chose for date columns, by field name.

    Kept in the job's options (``date_orders``); an order only matters for a column whose
    values read both ways, which the preview and the import decide from the file."""
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        raise ValidationError(_("This import has already started."))
    dated = {field.name for field in FIELDS[job.kind] if field.temporal}  # none is custom
    options = ImportOptions.from_json(job.options)
    for name, order in orders.items():
        if not order:
            continue
        if name not in dated or order not in DateOrder.values:
            raise ValidationError(
                _("“%(order)s” is not an order of day and month for %(field)s.")
                % {"order": order, "field": name}
            )
        options.date_orders[name] = order
    job.options = options.to_json()
    job.save(update_fields=["options"])
    return job


@transaction.atomic
def start_import(*, by: User, job_id: int) -> ImportJob:
    """Queue a mapped import for a worker; starting it twice queues it once.

    Raises ValidationError when a date column still needs its order chosen, or mixes two."""
    job = ImportJob.objects.editable_by(by).select_for_update().get(pk=job_id)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This import has already started."))
    _check_dates(job)
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status"])
    transaction.on_commit(lambda: import_uploaded_file.delay(job.pk))
    return job


def _check_dates(job: ImportJob) -> None:
    # The worker would fail such an import, and a failed import needs a new upload: refuse
    # to queue it while the user can still choose. Decided from what the upload recorded.
    try:
        dates = scan_dates(
            source_of(job),
            header=job.header,
            columns=column_indexes(job.header, job.mapping),
            fields=FIELDS[job.kind],
            options=ImportOptions.from_json(job.options),
            recorded=job.date_evidence,
        )
        require_orders(dates)
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
