"""Forms of the import pages: they parse input; the services check it against the file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports.kinds import FIELDS, alternatives_message, fields_of, unmapped_alternatives
from crm.imports.models import ImportJob, ImportKind
from crm.imports.parsing import DEFAULT_ENCODING, DELIMITERS, ENCODINGS

SELECT = forms.Select(attrs={"class": "form-select"})


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Import"),
        choices=[(kind, label) for kind, label in ImportKind.choices if kind in FIELDS],
        widget=SELECT,
    )
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
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
        self.columns = [name for name in job.header if name]

    def chosen_columns(self) -> dict[str, str]:
        """The columns chosen so far, unchecked: kept when the page adds a field."""
        header = set(self.columns)
        return {
            name: value
            for name in self.fields
            if isinstance(value := self.data.get(name), str) and value in header
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        alternatives = unmapped_alternatives(self.kind, cleaned)
        if alternatives:
            self.add_error(alternatives[0].name, alternatives_message(alternatives))
        return cleaned
