"""``manage.py import_csv KIND FILE --map field=column ...``: the web import, for scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from crm.imports.kinds import FIELDS, fields_of
from crm.imports.models import ImportKind
from crm.imports.parsing import DEFAULT_ENCODING, ENCODINGS, CsvSource, ImportFileError
from crm.imports.presets import recognise
from crm.imports.runner import import_csv
from crm.imports.services import proposed_mapping
from crm.imports.value_mapping import decided_options
from crm.imports.writers import Rejection
from pipeline.models import Stage

DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", ",": ",", ";": ";", "\\t": "\t"}


def field_to_column(value: str) -> tuple[str, str]:
    field, equals, column = value.partition("=")
    if not equals or not field.strip():
        raise ValueError(value)
    return field.strip(), column.strip()


def theirs_to_ours(value: str) -> tuple[str, str]:
    """``Their name=Our stage``: split at the last "=", since stage names rarely hold one."""
    theirs, equals, ours = value.rpartition("=")
    if not equals or not theirs.strip() or not ours.strip():
        raise ValueError(value)
    return theirs.strip(), ours.strip()


def field_value(value: str) -> tuple[str, str, str]:
    """``source=Cold Call=outbound``: the field, the file's value and ours."""
    field, equals, pair = value.partition("=")
    if not equals or not field.strip():
        raise ValueError(value)
    theirs, ours = theirs_to_ours(pair)
    return field.strip(), theirs, ours


class Command(BaseCommand):
    help = (
        "Import companies, contacts, leads or deals from a CSV file, as the web import does: "
        "rows with an external id update the record holding it, rejected rows are listed "
        "with their line and reason, and the whole import is one transaction. Exits with "
        "status 1, having written nothing, when the file or the mapping cannot be used."
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
            "are read from a column of the same name, if there is one. Without --map, a "
            "recognised Salesforce, HubSpot or Pipedrive export maps itself.",
        )
        parser.add_argument(
            "--stage",
            dest="stages",
            action="append",
            default=[],
            type=theirs_to_ours,
            metavar="THEIRS=OURS",
            help="deals: the stage a stage value of the file goes to, e.g. "
            '"Negotiation/Review=Proposal"; values named like one of our stages, and a '
            "recognised export's won and lost values, need none. Repeatable.",
        )
        parser.add_argument(
            "--value",
            dest="values",
            action="append",
            default=[],
            type=field_value,
            metavar="FIELD=THEIRS=OURS",
            help="what a value of the file means for a choice field, e.g. "
            '--value "source=Cold Call=outbound". Repeatable.',
        )
        parser.add_argument(
            "--user",
            help="import as this user, with their permissions (default: the first superuser)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, report, write nothing"
        )
        parser.add_argument(
            "--encoding",
            choices=list(ENCODINGS),
            default=DEFAULT_ENCODING,
            help="the file's encoding (default UTF-8, with or without a byte-order mark)",
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
        delimiter = DELIMITER_NAMES[options["delimiter"]] if options["delimiter"] else ""
        source = CsvSource(lambda: path.open("rb"), options["encoding"], delimiter)
        try:
            source = source.with_delimiter()
            header, rows = source.read()
            rows.close()
            preset = None if options["mapping"] else recognise(kind, header)
            if preset is not None:
                self.stdout.write(f"Recognised a {preset.label} ({preset.name}).")
            mapping = proposed_mapping(kind=kind, header=header, preset=preset) | dict(
                options["mapping"]
            )
            self.stdout.write(f"Reading {path} ({self.describe(kind, mapping)})")
            import_options = decided_options(
                kind=kind,
                source=source,
                mapping=mapping,
                preset=preset,
                stages=options["stages"],
                values=options["values"],
            )
            if import_options.stages:
                self.stdout.write(f"Stages: {self.describe_stages(import_options.stages)}")
            total = source.count_rows()
            self.progress_step = max(1, total // 20)
            self.total = total
            self.reported = 0
            outcome = import_csv(
                by=user,
                kind=kind,
                source=source,
                mapping=mapping,
                on_rejections=self.print_rejections,
                on_progress=self.print_progress,
                dry_run=options["dry_run"],
                options=import_options,
            )
        except ImportFileError as error:
            raise CommandError(f"{path}: {error} Nothing was imported.") from error
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {outcome.rows:,} rows: {outcome.created:,} created, "
                f"{outcome.updated:,} updated, {outcome.rejected:,} rejected."
            )
        )

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
    def describe(kind: str, mapping: dict[str, str]) -> str:
        names = [field.name for field in fields_of(kind)]
        return ", ".join(f"{field}={mapping[field]}" for field in names if mapping.get(field))

    @staticmethod
    def describe_stages(stages: dict[str, int]) -> str:
        """“Closed Won” → Won (Sales), ...: what each of the file's stage values became."""
        names = {
            stage.pk: f"{stage.name} ({stage.pipeline.name})"
            for stage in Stage.objects.filter(pk__in=stages.values()).select_related("pipeline")
        }
        return ", ".join(f"“{value}” → {names[pk]}" for value, pk in stages.items())

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
