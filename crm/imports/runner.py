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
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.imports.kinds import (
    CleanRow,
    Field,
    alternatives_message,
    clean_row,
    column_indexes,
    fields_of,
    translations_of,
    unmapped_alternatives,
)
from crm.imports.models import ImportJob, ImportRejection, ImportStatus
from crm.imports.options import ImportOptions
from crm.imports.parsing import CsvSource, ImportFileError
from crm.imports.storage import open_file
from crm.imports.writers import WRITERS, Rejection

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
    source: CsvSource,
    mapping: Mapping[str, str],
    on_rejections: Callable[[list[Rejection]], None],
    on_progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportOutcome], None] | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    options: ImportOptions | None = None,
) -> ImportOutcome:
    """Import the rows of ``source`` as ``kind`` records, with ``by``'s permissions.

    Raises ImportFileError (nothing written) when the file or the mapping is unusable.
    ``on_rejections`` receives each batch's rejected rows, ``on_progress`` the rows read so
    far, and ``before_commit`` the outcome while the transaction can still roll back.
    ``dry_run`` does everything and then rolls back.
    """
    header, rows = source.read()
    fields = fields_of(kind)
    columns = check_mapping(kind, header, mapping, fields)
    writer = WRITERS[kind](by=by, mapped=columns, now=timezone.now(), options=options)
    translations = translations_of(writer.options.values)
    done = created = updated = rejected = 0
    with transaction.atomic():
        for batch in batched(rows, batch_size or BATCH_SIZE):
            plan = writer.plan([clean_row(row, columns, fields, translations) for row in batch])
            batch_created, batch_updated = writer.write(plan)
            created += batch_created
            updated += batch_updated
            rejected += len(plan.rejected_lines)
            done += len(batch)
            if plan.rejections:
                on_rejections(plan.rejections)
            if on_progress is not None:
                on_progress(done)
        writer.finish()
        outcome = ImportOutcome(rows=done, created=created, updated=updated, rejected=rejected)
        if before_commit is not None:
            before_commit(outcome)
        if dry_run:
            transaction.set_rollback(True)
    return outcome


def preview_rows(
    *,
    by: User,
    kind: str,
    source: CsvSource,
    mapping: Mapping[str, str],
    limit: int,
    fields: Sequence[Field],
    options: ImportOptions | None = None,
) -> list[PreviewRow]:
    """The first ``limit`` rows as the import would treat them; writes and locks nothing.

    ``fields``: the kind's fields (``fields_of``), which the caller shows as well."""
    header, rows = source.read()
    columns = check_mapping(kind, header, mapping, fields)
    writer = WRITERS[kind](by=by, mapped=columns, now=timezone.now(), lock=False, options=options)
    translations = translations_of(writer.options.values)
    cleaned: list[CleanRow] = [
        clean_row(row, columns, fields, translations) for row in islice(rows, limit)
    ]
    rows.close()  # the rest of the file is not needed
    plan = writer.plan(cleaned)
    updates = {planned.line for planned in plan.accepted if not planned.is_new}
    problems: dict[int, list[Rejection]] = {}
    for rejection in plan.rejections:
        problems.setdefault(rejection.line, []).append(rejection)
    return [
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


def source_of(job: ImportJob) -> CsvSource:
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
            on_rejections=save_rejections,
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
