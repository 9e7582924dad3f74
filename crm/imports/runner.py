"""The import itself, shared by the web pages (through a Celery task) and ``import_csv``.

The file is streamed in batches of BATCH_SIZE rows: each batch is cleaned, planned (look
ups, permissions, checks) and written with bulk statements, so memory holds one batch
whatever the size of the file. A rejected row does not stop the others: it goes to the
report with its line and reason. Everything the import writes is one transaction: a file
that turns out to be broken half way through (a byte that is not valid in its encoding, a
malformed quote) or a crash rolls all of it back, so nothing is ever half imported.

Progress must be seen while that transaction is still open, so it is written outside it:
on PostgreSQL through a second database connection of its own, committed at once. SQLite
allows one writer at a time, so there progress is written in the import's transaction and
appears when it commits; the demo's imports are small.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.imports.dates import (
    DateColumn,
    DateScan,
    readers,
    require_orders,
    scan_dates,
    time_zone_of,
)
from crm.imports.kinds import (
    CleanRow,
    Field,
    RowCleaner,
    alternatives_message,
    column_indexes,
    fields_of,
    translations_of,
    unmapped_alternatives,
)
from crm.imports.models import FileFormat, ImportJob, ImportRejection, ImportStatus, RejectedRow
from crm.imports.options import ImportOptions
from crm.imports.parsing import CsvSource, ImportFileError, Row, Source
from crm.imports.reports import RejectedLine
from crm.imports.spreadsheets import XlsxSource
from crm.imports.storage import open_file
from crm.imports.writers import WRITERS, Rejection, Writer

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MESSAGE_MAX_LENGTH = ImportRejection._meta.get_field("message").max_length or 500
FIELD_MAX_LENGTH = ImportRejection._meta.get_field("field").max_length or 50

T = TypeVar("T")


@dataclass(frozen=True)
class ImportOutcome:
    rows: int
    created: int
    updated: int
    rejected: int
    # Field -> the file's values that named nothing (products not in the catalogue).
    not_found: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class PreviewRow:
    line: int
    values: list[str]
    problems: list[Rejection]
    is_update: bool


def batched(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch


def check_mapping(
    kind: str,
    header: list[str],
    mapping: Mapping[str, str],
    known: Sequence[Field] | None = None,
) -> dict[str, int]:
    """Field -> column position; raises ImportFileError naming what does not fit the file.

    ``known``: the kind's fields as ``fields_of`` gives them, when the caller has them."""
    fields = {field.name: field for field in (fields_of(kind) if known is None else known)}
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ImportFileError(
            _("Unknown field(s) %(fields)s; a %(kind)s import has: %(known)s.")
            % {"fields": ", ".join(unknown), "kind": kind, "known": ", ".join(fields)}
        )
    for name, column in mapping.items():
        if column and column not in header:
            raise ImportFileError(
                _("There is no column “%(column)s” for %(field)s; the columns are: %(header)s.")
                % {"column": column, "field": name, "header": ", ".join(header)}
            )
    missing = [
        str(field.label)
        for field in fields.values()
        if field.required and not mapping.get(field.name)
    ]
    if missing:
        raise ImportFileError(
            _("No column for the required field(s) %(fields)s; the columns are: %(header)s.")
            % {"fields": ", ".join(missing), "header": ", ".join(header)}
        )
    alternatives = unmapped_alternatives(kind, mapping)
    if alternatives:
        raise ImportFileError(alternatives_message(alternatives))
    return column_indexes(header, mapping)


def import_csv(
    *,
    by: User,
    kind: str,
    source: Source,
    mapping: Mapping[str, str],
    on_rejections: Callable[[list[Rejection]], None],
    on_rejected_lines: Callable[[list[RejectedLine]], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportOutcome], None] | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    options: ImportOptions | None = None,
    on_dates: Callable[[list[DateColumn]], None] | None = None,
    recorded_dates: Mapping[str, Mapping[str, str]] | None = None,
) -> ImportOutcome:
    """Import the rows of ``source`` as ``kind`` records, with ``by``'s permissions.

    Raises ImportFileError (nothing written) when the file or the mapping is unusable.
    ``on_rejections`` receives each batch's problems, ``on_rejected_lines`` its rejected rows
    with their cells as the file had them and every problem, ``on_progress`` the rows read so
    far, ``before_commit`` the outcome while the transaction can still roll back, and
    ``on_dates`` how each date column is read, before any row is.
    ``dry_run`` does everything and then rolls back.

    Before anything is written, the mapped date columns are read through once to decide
    how each is written (``dates.py``); one that contradicts itself, or needs an order
    that ``options`` does not give, raises ImportFileError (DateOrderNeeded). With
    ``recorded_dates``, what the upload saw of this very file (``ImportJob.date_evidence``),
    that pass is not needed.
    """
    header, rows = source.read()
    fields = fields_of(kind)
    columns = check_mapping(kind, header, mapping, fields)
    try:
        dates = scan_dates(
            source,
            header=header,
            columns=columns,
            fields=fields,
            options=options,
            recorded=recorded_dates,
        )
        require_orders(dates)
    except ImportFileError:
        rows.close()
        raise
    date_readers = readers(dates, tz=time_zone_of(by))
    if on_dates is not None and dates:
        on_dates(dates)
    writer = WRITERS[kind](by=by, mapped=columns, now=timezone.now(), options=options)
    clean = RowCleaner(columns, fields, date_readers, translations_of(writer.options.values))
    done = created = updated = rejected = 0
    with transaction.atomic():
        for batch in batched(rows, batch_size or BATCH_SIZE):
            plan = writer.plan([clean(row) for row in batch])
            batch_created, batch_updated = writer.write(plan)
            created += batch_created
            updated += batch_updated
            rejected += len(plan.rejected_lines)
            done += len(batch)
            if plan.rejections:
                on_rejections(plan.rejections)
                if on_rejected_lines is not None:
                    on_rejected_lines(rejected_lines(batch, plan.rejections))
            if on_progress is not None:
                on_progress(done)
        writer.finish()
        outcome = ImportOutcome(
            rows=done,
            created=created,
            updated=updated,
            rejected=rejected,
            not_found={name: list(values.values()) for name, values in writer.not_found.items()},
        )
        if before_commit is not None:
            before_commit(outcome)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def rejected_lines(batch: Sequence[Row], rejections: Sequence[Rejection]) -> list[RejectedLine]:
    """The batch's rejected rows, in the file's order, each with all of its problems."""
    problems: dict[int, list[Rejection]] = {}
    for rejection in rejections:
        problems.setdefault(rejection.line, []).append(rejection)
    return [
        RejectedLine(row.line, row.cells, problems[row.line])
        for row in batch
        if row.line in problems
    ]


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    # How each mapped date column is read; a column with ``needs_order`` waits for a choice.
    dates: list[DateColumn]
    # Field -> the values of the previewed rows that named nothing (products not in the
    # catalogue), in the file's order.
    not_found: dict[str, list[str]] = field(default_factory=dict)


def preview_import(
    *,
    by: User,
    kind: str,
    source: Source,
    mapping: Mapping[str, str],
    limit: int,
    fields: Sequence[Field],
    options: ImportOptions | None = None,
    recorded_dates: Mapping[str, Mapping[str, str]] | None = None,
    on_plan: Callable[[Writer], None] | None = None,
) -> Preview:
    """The first ``limit`` rows as the import would treat them, and how its date columns
    are read; writes and locks nothing. Raises ImportFileError for a contradictory date
    column. A date column still waiting for its order is left out of the rows' values.

    ``fields``: the kind's fields (``fields_of``), which the caller shows as well.
    ``recorded_dates``: the date evidence the upload gathered (``ImportJob.date_evidence``);
    without it the whole file is read for its dates, in the same pass as the first rows.
    ``on_plan`` receives the writer once it has planned the rows, for what it found across
    them (such as the owners nobody in the CRM has)."""
    header, rows = source.read()
    columns = check_mapping(kind, header, mapping, fields)
    writer = WRITERS[kind](by=by, mapped=columns, now=timezone.now(), lock=False, options=options)
    translations = translations_of(writer.options.values)
    first = list(islice(rows, limit))
    scan = DateScan.of(header=header, columns=columns, fields=fields, serials=source.serial_dates)
    if scan and recorded_dates is not None:
        scan.with_evidence(recorded_dates)
    elif scan:
        for row in first:
            scan.add(row)
        for row in rows:
            scan.add(row)
    rows.close()  # the rest of the file is not needed
    dates = scan.decide(options)
    waiting = {column.field.name for column in dates if column.needs_order}
    read_columns = {name: index for name, index in columns.items() if name not in waiting}
    date_readers = readers(dates, tz=time_zone_of(by))
    clean = RowCleaner(read_columns, fields, date_readers, translations)
    cleaned: list[CleanRow] = [clean(row) for row in first]
    plan = writer.plan(cleaned)
    if on_plan is not None:
        on_plan(writer)
    updates = {planned.line for planned in plan.accepted if not planned.is_new}
    problems: dict[int, list[Rejection]] = {}
    for rejection in plan.rejections:
        problems.setdefault(rejection.line, []).append(rejection)
    shown = [
        PreviewRow(
            line=row.line,
            values=[
                str(row.values.get(field.name, "")) for field in fields if field.name in columns
            ],
            problems=problems.get(row.line, []),
            is_update=row.line in updates,
        )
        for row in cleaned
    ]
    not_found = {name: list(values.values()) for name, values in writer.not_found.items()}
    return Preview(rows=shown, dates=dates, not_found=not_found)


# Running an uploaded file


class ProgressRecorder:
    """Writes an import's rows_done where other processes see it while the import runs."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.table = ImportJob._meta.db_table
        # PostgreSQL: a connection of its own, in autocommit, outside the import's transaction.
        self.own_connection = (
            connections.create_connection(DEFAULT_DB_ALIAS)
            if connection.vendor == "postgresql"
            else None
        )

    def __call__(self, rows_done: int) -> None:
        if self.own_connection is None:
            ImportJob.objects.filter(pk=self.job_id).update(rows_done=rows_done)
            return
        with self.own_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET rows_done = %s WHERE id = %s", [rows_done, self.job_id]
            )

    def close(self) -> None:
        if self.own_connection is not None:
            self.own_connection.close()


def source_of(job: ImportJob) -> Source:
    """The reader of the job's uploaded file, by its format."""
    if job.file_format == FileFormat.XLSX:
        return XlsxSource(lambda: open_file(job.pk))
    return CsvSource(lambda: open_file(job.pk), job.encoding, job.delimiter)


def run_import(*, job_id: int) -> ImportJob:
    """Import a queued upload; the Celery task's body. Safe to call twice: it runs once.

    The job is claimed with one conditional UPDATE (queued -> running), so a task delivered
    twice imports once. A job still "running" after the task time limit had its worker die
    under it (its transaction was rolled back with the connection): the broker delivers the
    task again, and it is claimed afresh. Otherwise the job ends done or failed, with a reason.
    """
    now = timezone.now()
    abandoned = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=ImportStatus.QUEUED) | Q(
        status=ImportStatus.RUNNING, started_at__lt=abandoned
    )
    claimed = ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportStatus.RUNNING, started_at=now, rows_done=0
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    progress = ProgressRecorder(job.pk)

    def save_rejections(rejections: list[Rejection]) -> None:
        ImportRejection.objects.bulk_create(
            ImportRejection(
                job=job,
                line=rejection.line,
                # A custom field's name ("custom_fields.<key>") may be longer than the
                # column; its message names the field by its label as well.
                field=rejection.field[:FIELD_MAX_LENGTH],
                message=rejection.message[:MESSAGE_MAX_LENGTH],
            )
            for rejection in rejections
        )

    def save_rejected_rows(lines: list[RejectedLine]) -> None:
        # The cells as the file had them: the report's download gives them back to fix.
        RejectedRow.objects.bulk_create(
            RejectedRow(job=job, line=line.line, cells=line.cells) for line in lines
        )

    def finish(outcome: ImportOutcome) -> None:
        # In the import's transaction: the records and the "done" commit together.
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE,
            rows_done=outcome.rows,
            created_count=outcome.created,
            updated_count=outcome.updated,
            rejected_count=outcome.rejected,
            finished_at=timezone.now(),
        )
        job.chunks.all().delete()

    try:
        import_csv(
            by=job.created_by,
            kind=job.kind,
            source=source_of(job),
            mapping=job.mapping,
            options=ImportOptions.from_json(job.options),
            # The stored file is the one the upload read: its date evidence holds.
            recorded_dates=job.date_evidence,
            on_rejections=save_rejections,
            on_rejected_lines=save_rejected_rows,
            on_progress=progress,
            before_commit=finish,
        )
    except ImportFileError as error:
        _fail(job, str(error))
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _fail(job, _("The import failed unexpectedly; nothing was written. Try again later."))
        raise
    finally:
        progress.close()
    job.refresh_from_db()
    return job


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message, finished_at=timezone.now()
    )
