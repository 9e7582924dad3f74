"""Forms of the import pages: they parse input; the services check it against the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.imports.kinds import FIELDS, Field, alternatives_message, fields_of, unmapped_alternatives
from crm.imports.models import FileFormat, ImportJob, ImportKind
from crm.imports.options import DateOrder, ImportOptions, UnknownOwners
from crm.imports.parsing import DEFAULT_ENCODING, DELIMITERS, ENCODINGS
from crm.imports.writers import WRITERS

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


# The mapping form's own choices, beside one per import field (whose names never clash:
# import fields are model field names, custom ones start "custom_fields.").
OWNER_CHOICES = ("unknown_owners", "owners_to")


class MappingForm(forms.Form):
    """One choice of column per field of the import's kind; required fields need one.

    Kinds with an owner also choose what happens to owners the CRM does not know: reject
    the row, give the records to one user (someone ``by`` may give them to) or, for an
    admin, create the missing users.
    """

    def __init__(self, *args: Any, job: ImportJob, by: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", job.mapping)
        super().__init__(*args, **kwargs)
        columns = [("", _("— not imported —")), *((name, name) for name in job.header if name)]
        self.field_names = []
        for field in fields_of(job.kind):
            self.field_names.append(field.name)
            self.fields[field.name] = forms.ChoiceField(
                label=str(field.label),
                choices=columns,
                required=field.required,
                help_text=str(field.help_text),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        self.kind = job.kind
        self.columns = [name for name in job.header if name]
        self.has_owner = any(field.name == "owner" for field in FIELDS[job.kind])
        if self.has_owner:
            self._add_owner_choices(by, ImportOptions.from_json(job.options))

    def _add_owner_choices(self, by: User, options: ImportOptions) -> None:
        choices = [
            (value, label)
            for value, label in UnknownOwners.choices
            if value != UnknownOwners.CREATE or by.is_admin
        ]
        self.fields["unknown_owners"] = forms.ChoiceField(
            label=_("Owners the CRM does not know"),
            choices=choices,
            initial=options.unknown_owners,
            # Not sent (a script posting the columns only): rows with unknown owners are rejected.
            required=False,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            help_text=_(
                "Owners are found by user name, email, full name or their id in the old CRM."
            ),
        )
        self.fields["owners_to"] = forms.ModelChoiceField(
            label=_("Give their records to"),
            queryset=WRITERS[self.kind].owner_candidates(by).order_by("first_name", "username"),
            required=False,
            initial=options.owners_to,
            empty_label=_("— choose a user —"),
            widget=SELECT,
        )

    @property
    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.field_names]

    @property
    def owner_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in OWNER_CHOICES if name in self.fields]

    def mapping(self) -> dict[str, str]:
        """Field name -> column, from the cleaned form."""
        return {name: self.cleaned_data.get(name, "") for name in self.field_names}

    def owner_choice(self) -> dict[str, Any]:
        """What happens to unknown owners, as ``services.map_columns`` takes it."""
        if not self.has_owner:
            return {}
        return {
            "unknown_owners": self.cleaned_data.get("unknown_owners") or UnknownOwners.REJECT,
            "owners_to": self.cleaned_data.get("owners_to"),
        }

    def chosen_columns(self) -> dict[str, str]:
        """The columns chosen so far, unchecked: kept when the page adds a field."""
        header = set(self.columns)
        return {
            name: value
            for name in self.field_names
            if isinstance(value := self.data.get(name), str) and value in header
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        alternatives = unmapped_alternatives(self.kind, cleaned)
        if alternatives:
            self.add_error(alternatives[0].name, alternatives_message(alternatives))
        if cleaned.get("unknown_owners") == UnknownOwners.ASSIGN and not cleaned.get("owners_to"):
            self.add_error("owners_to", _("Choose who receives the records of unknown owners."))
        return cleaned
