"""Forms of the import pages: they parse input; the services check it against the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports.kinds import FIELDS, Field, alternatives_message, fields_of, unmapped_alternatives
from crm.imports.models import FileFormat, ImportJob, ImportKind
from crm.imports.options import DateOrder
from crm.imports.parsing import DEFAULT_ENCODING, DELIMITERS, ENCODINGS

SELECT = forms.Select(attrs={"class": "form-select"})
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = f".csv,text/csv,.xlsx,{XLSX_MEDIA_TYPE}"
ZIP_SIGNATURE = b"PK\x03\x04"
# Spreadsheet formats that are not XLSX: named, so the error can say what to do.
OTHER_SPREADSHEETS = {".xls", ".ods", ".numbers"}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Import"),
        choices=[(kind, label) for kind, label in ImportKind.choices if kind in FIELDS],
        widget=SELECT,
    )
    file = forms.FileField(
        label=_("CSV or Excel (XLSX) file"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ACCEPTED}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=list(ENCODINGS.items()),
        initial=DEFAULT_ENCODING,
        widget=SELECT,
    )
    delimiter = forms.ChoiceField(
        label=_("Columns separated by"),
        choices=[("", _("Detect from the first line")), *DELIMITERS.items()],
        required=False,
        widget=SELECT,
    )

    def clean(self) -> dict[str, Any]:
        """Adds ``file_format``: XLSX for a file named .xlsx or holding a workbook, else CSV."""
        cleaned = super().clean()
        file = cleaned.get("file")
        if file is None:
            return cleaned
        suffix = PurePath(file.name).suffix.casefold()
        if suffix in OTHER_SPREADSHEETS:
            self.add_error(
                "file",
                _("%(suffix)s files cannot be read: save the sheet as .xlsx or as CSV.")
                % {"suffix": suffix},
            )
        # A workbook is a ZIP archive, which no CSV file starts like: a workbook renamed
        # .csv (or downloaded without its extension) is still read as one.
        file.seek(0)
        is_zip = file.read(len(ZIP_SIGNATURE)) == ZIP_SIGNATURE
        file.seek(0)
        is_workbook = suffix == ".xlsx" or is_zip
        cleaned["file_format"] = FileFormat.XLSX if is_workbook else FileFormat.CSV
        return cleaned


class DateOrdersForm(forms.Form):
    """The order of day and month for date fields whose column's values read both ways."""

    def __init__(self, *args: Any, fields: Sequence[Field], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in fields:
            self.fields[field.name] = forms.ChoiceField(
                label=str(field.label),
                choices=DateOrder.choices,
                required=False,
                widget=forms.RadioSelect,
            )


class MappingForm(forms.Form):
    """One choice of column per field of the import's kind; required fields need one."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        kwargs.setdefault("initial", job.mapping)
        super().__init__(*args, **kwargs)
        columns = [("", _("— not imported —")), *((name, name) for name in job.header if name)]
        for field in fields_of(job.kind):
            self.fields[field.name] = forms.ChoiceField(
                label=str(field.label),
                choices=columns,
                required=field.required,
                help_text=str(field.help_text),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        self.kind = job.kind

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        alternatives = unmapped_alternatives(self.kind, cleaned)
        if alternatives:
            self.add_error(alternatives[0].name, alternatives_message(alternatives))
        return cleaned
