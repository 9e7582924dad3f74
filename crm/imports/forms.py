"""Forms of the import pages: they parse input; the services check it against the file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports.kinds import FIELDS, alternatives_message, fields_of, unmapped_alternatives
from crm.imports.models import ImportJob, ImportKind
from crm.imports.parsing import DEFAULT_ENCODING, DELIMITERS, ENCODINGS
from crm.imports.value_mapping import STAGE, FileValue, ValueSection

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
        self.known_fields = fields_of(job.kind)
        for field in self.known_fields:
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


class ValueMappingForm(forms.Form):
    """A choice for each distinct value of the file's stage and choice columns, all required."""

    def __init__(self, *args: Any, sections: list[ValueSection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections
        self.rows: list[list[tuple[forms.BoundField, FileValue]]] = []
        for section in sections:
            empty = _("— choose a stage —") if section.field == STAGE else _("— choose —")
            rows = []
            for index, item in enumerate(section.values):
                name = f"{section.field}-{index}"
                proposal = section.proposals.get(item.value)
                self.fields[name] = forms.ChoiceField(
                    label=item.value,
                    choices=[("", empty), *section.choices],
                    initial="" if proposal is None else str(proposal),
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                    error_messages={"required": _("Choose what “%s” means.") % item.value},
                )
                rows.append((self[name], item))
            self.rows.append(rows)

    def grouped_rows(self) -> list[tuple[ValueSection, list[tuple[forms.BoundField, FileValue]]]]:
        return list(zip(self.sections, self.rows, strict=True))

    def chosen_stages(self) -> dict[str, int]:
        return {
            item.value: int(self.cleaned_data[f"{STAGE}-{index}"])
            for section in self.sections
            if section.field == STAGE
            for index, item in enumerate(section.values)
        }

    def chosen_values(self) -> dict[str, dict[str, str]]:
        return {
            section.field: {
                item.value: self.cleaned_data[f"{section.field}-{index}"]
                for index, item in enumerate(section.values)
            }
            for section in self.sections
            if section.field != STAGE
        }
