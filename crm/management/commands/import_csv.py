"""``manage.py import_csv KIND FILE --map field=column ...``: the web import, for scripts.

The exit status tells a script what happened without reading the output: 0 every row was
imported, 2 some were and others were rejected, 1 nothing was imported (every row rejected,
or the file or the mapping could not be used).
"""

from __future__ import annotations

import csv
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from crm.imports.dates import DateColumn, DateOrderNeeded
from crm.imports.kinds import FIELDS, fields_of, unmapped_columns
from crm.imports.models import ImportKind
from crm.imports.options import DateOrder, ImportOptions, UnknownOwners
from crm.imports.parsing import DEFAULT_ENCODING, ENCODINGS, CsvSource, ImportFileError, Source
from crm.imports.reports import RejectedLine, ReportFile, reason_text
from crm.imports.runner import ImportOutcome, import_csv
from crm.imports.services import check_unknown_owners, guessed_mapping
from crm.imports.spreadsheets import XlsxSource
from crm.imports.writers import WRITERS, Rejection

# Values that named nothing (unknown products), listed after the summary.
NOT_FOUND_SHOWN = 30
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", ",": ",", ";": ";", "\\t": "\t"}


def field_to_column(value: str) -> tuple[str, str]:
    field, equals, column = value.partition("=")
    if not equals or not field.strip():
        raise ValueError(value)
    return field.strip(), column.strip()


class Command(BaseCommand):
    help = (
        "Import companies, contacts, leads, deals, products or users from a CSV file or an XLSX "
        "workbook (by its extension; the first worksheet), as the web import does: "
        "rows with an external id update the record holding it, rejected rows are listed "
        "with their line and reasons, and the whole import is one transaction. Exit status: "
        "0 every row imported; 2 imported, with rejected rows; 1 nothing imported (every "
        "row rejected, or the file or the mapping cannot be used, and then nothing is "
        "written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[kind for kind in ImportKind.values if kind in FIELDS])
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--map",
            dest="mapping",
            action="append",
            default=[],
            type=field_to_column,
            metavar="FIELD=COLUMN",
            help="the column that feeds a field; repeat for each field. Fields not given "
            "are read from a column of the same name, if there is one.",
        )
        parser.add_argument(
            "--user",
            help="import as this user, with their permissions (default: the first superuser)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, report, write nothing"
        )
        parser.add_argument(
            "--rejected",
            type=Path,
            metavar="PATH",
            help="write the rejected rows to this CSV file: the file's columns and a Reason "
            "column with every problem of the row, ready to fix and import again",
        )
        parser.add_argument(
            "--encoding",
            choices=list(ENCODINGS),
            default=DEFAULT_ENCODING,
            help="the file's encoding (default UTF-8, with or without a byte-order mark)",
        )
        parser.add_argument(
            "--date-order",
            choices=DateOrder.values,
            default="",
            help="dmy (day first) or mdy (month first): how to read date columns whose every "
            "value reads both ways, such as 03/04/2017. Columns with a day above 12 decide "
            "for themselves; one that mixes both orders is refused.",
        )
        parser.add_argument(
            "--unknown-owners",
            choices=list(UnknownOwners.values),
            default=UnknownOwners.REJECT,
            help="what happens to rows whose owner the CRM does not know: reject them "
            "(default), create the missing users (inactive, without a password; admins only) "
            "or assign their records to the user given by --owners-to",
        )
        parser.add_argument(
            "--owners-to",
            metavar="USERNAME",
            help="with --unknown-owners assign: the user who receives those records",
        )
        parser.add_argument(
            "--delimiter",
            choices=list(DELIMITER_NAMES),
            help="comma, semicolon or tab (default: guessed from the header line)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = self.acting_user(options["user"])
        import_options = self.owner_options(
            user, kind, options["unknown_owners"], options["owners_to"]
        )
        import_options.date_order = options["date_order"]
        delimiter = DELIMITER_NAMES[options["delimiter"]] if options["delimiter"] else ""
        source: Source
        if path.suffix.casefold() == ".xlsx":
            source = XlsxSource(lambda: path.open("rb"))
        else:
            source = CsvSource(lambda: path.open("rb"), options["encoding"], delimiter)
        try:
            source = source.with_delimiter()
            header, rows = source.read()
            rows.close()
            mapping = guessed_mapping(kind=kind, header=header) | dict(options["mapping"])
            self.stdout.write(f"Reading {path} ({self.describe(kind, mapping)})")
            ignored = unmapped_columns(header, mapping)
            if ignored:
                self.stdout.write(f"Ignored columns (not mapped): {', '.join(ignored)}")
            total = source.count_rows()
            self.progress_step = max(1, total // 20)
            self.total = total
            self.reported = 0
            self.kind = kind
            with self.rejected_file(options["rejected"], header) as self.rejected:
                outcome = import_csv(
                    by=user,
                    kind=kind,
                    source=source,
                    mapping=mapping,
                    on_rejections=self.print_rejections,
                    on_rejected_lines=self.write_rejected,
                    on_progress=self.print_progress,
                    dry_run=options["dry_run"],
                    options=import_options,
                    on_dates=self.print_dates,
                )
        except DateOrderNeeded as error:
            self.remove_rejected_file(options["rejected"])
            raise CommandError(
                f"{path}: {error} Give --date-order dmy (day first) or mdy (month first). "
                "Nothing was imported."
            ) from error
        except ImportFileError as error:
            self.remove_rejected_file(options["rejected"])
            raise CommandError(f"{path}: {error} Nothing was imported.") from error
        verb = "Would import" if options["dry_run"] else "Imported"
        summary = (
            f"{verb} {outcome.rows:,} rows: {outcome.created:,} created, "
            f"{outcome.updated:,} updated, {outcome.rejected:,} rejected."
        )
        self.stdout.write(self.style.SUCCESS(summary) if not outcome.rejected else summary)
        for field_name, values in outcome.not_found.items():
            shown = ", ".join(values[:NOT_FOUND_SHOWN])
            hidden = len(values) - NOT_FOUND_SHOWN
            more = f" and {hidden:,} more" if hidden > 0 else ""
            self.stdout.write(f"Not found ({field_name}): {shown}{more}")
        if options["rejected"] is not None and outcome.rejected:
            self.stdout.write(f"Rejected rows written to {options['rejected']}")
        self.exit_for(outcome)

    @staticmethod
    def exit_for(outcome: ImportOutcome) -> None:
        """Status 2 when some rows were rejected, 1 when every row was (see the help)."""
        if not outcome.rejected:
            return
        if outcome.created + outcome.updated:
            raise CommandError(
                f"{outcome.rejected:,} rows rejected; the others were imported.", returncode=2
            )
        raise CommandError("Every row was rejected; nothing was imported.", returncode=1)

    def rejected_file(
        self, path: Path | None, header: list[str]
    ) -> AbstractContextManager[TextIO | None]:
        """The --rejected file, open for writing, with its header written; else None."""
        if path is None:
            return nullcontext(None)
        try:
            stream = path.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
        self.report = ReportFile(header)
        self.report_writer = csv.writer(stream)
        self.report_writer.writerow(self.report.header)
        return stream

    @staticmethod
    def remove_rejected_file(path: Path | None) -> None:
        """Nothing was imported: a --rejected file begun would say otherwise."""
        if path is not None:
            path.unlink(missing_ok=True)

    def write_rejected(self, lines: list[RejectedLine]) -> None:
        if self.rejected is None:
            return
        for line in lines:
            problems = ((problem.field, problem.message) for problem in line.problems)
            reason = reason_text(self.kind, problems)
            self.report_writer.writerow(self.report.row(line.cells, reason))

    def acting_user(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        if username:
            try:
                return users.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"No active user {username!r}.") from None
        user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("No active superuser to import as; name one with --user.")
        return user

    @staticmethod
    def owner_options(
        user: User, kind: str, unknown_owners: str, owners_to: str | None
    ) -> ImportOptions:
        if unknown_owners == UnknownOwners.ASSIGN and not owners_to:
            raise CommandError("--unknown-owners assign needs --owners-to USERNAME.")
        if owners_to and unknown_owners != UnknownOwners.ASSIGN:
            raise CommandError("--owners-to goes with --unknown-owners assign.")
        recipient = None
        if owners_to:
            recipient = WRITERS[kind].owner_candidates(user).filter(username=owners_to).first()
            if recipient is None:
                raise CommandError(
                    f"{user.username} may not give records to {owners_to!r} (or no such "
                    "active user)."
                )
        try:
            check_unknown_owners(
                by=user, kind=kind, unknown_owners=unknown_owners, owners_to=recipient
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return ImportOptions(
            unknown_owners=unknown_owners, owners_to=recipient.pk if recipient else None
        )

    @staticmethod
    def describe(kind: str, mapping: dict[str, str]) -> str:
        names = [field.name for field in fields_of(kind)]
        return ", ".join(f"{field}={mapping[field]}" for field in names if mapping.get(field))

    def print_dates(self, columns: list[DateColumn]) -> None:
        # Say how each date column is read, so that an order is never taken silently.
        for column in columns:
            order = "month first" if column.order == DateOrder.MONTH_FIRST else "day first"
            if column.decided_by == "file":
                how = f"{order} (“{column.example}” can only be {column.example_reading})"
            elif column.decided_by == "user":
                how = (
                    f"{order}, as --date-order says "
                    f"(“{column.example}” is {column.example_reading})"
                )
            else:
                how = "as written"
            self.stdout.write(f"  {column.column}: dates read {how}")

    def print_rejections(self, rejections: list[Rejection]) -> None:
        for rejection in rejections:
            where = f" ({rejection.field})" if rejection.field else ""
            self.stderr.write(f"line {rejection.line}{where}: {rejection.message}")

    def print_progress(self, rows_done: int) -> None:
        # About twenty lines for any size of file.
        if rows_done - self.reported < self.progress_step and rows_done < self.total:
            return
        self.reported = rows_done
        percent = rows_done * 100 // max(self.total, 1)
        self.stdout.write(f"  {rows_done:,} / {self.total:,} rows ({percent}%)")
