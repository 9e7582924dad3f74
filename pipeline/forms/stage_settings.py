"""Forms of the pipeline and stage settings pages.

They parse and present input only; the rules (probabilities of closing stages, where
stages go, what may be removed) live in ``pipeline.services.stages``, whose errors name
the same fields as these forms, so ``core.forms.add_service_errors`` can show them in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm
from pipeline.models import EntryField, Stage, StageKind
from pipeline.services.stages import (
    CHECKLIST_ITEM_MAX_LENGTH,
    CLOSED_PROBABILITY,
    MAX_CHECKLIST_ITEMS,
    MAX_ROTTING_DAYS,
    NAME_MAX_LENGTH,
)


class SettingsForm(StyledForm):
    """A settings form: its template renders each field's message and help-text ids."""

    describes_help_text = True


class PipelineNameForm(SettingsForm):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)


class StageSettingsForm(SettingsForm):
    """A stage's editable settings; ``kind`` decides which of them apply.

    Won and lost stages have a fixed probability (100 % and 0 %) and never go stale, so
    those inputs are disabled for them, and a lost stage (which takes every deal) has no
    entry criteria at all.
    """

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    probability = forms.IntegerField(
        label=_("Win probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("The chance that a deal in this stage is won; it weighs the forecast."),
    )
    rotting_days = forms.IntegerField(
        label=_("Stale after (days)"),
        min_value=1,
        max_value=MAX_ROTTING_DAYS,
        required=False,
        help_text=_(
            "Days in the stage, or without a touchpoint, before a deal is stale. Empty: never."
        ),
    )
    entry_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        choices=EntryField.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A deal must have these before it may enter the stage."),
    )
    entry_checklist = forms.CharField(
        label=_("Entry checklist"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One item per line; the rep ticks each before the deal may enter."),
    )

    def __init__(self, *args: Any, kind: str = StageKind.OPEN, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stage_kind = kind
        if kind != StageKind.OPEN:
            self.fields["probability"].disabled = True
            self.fields["probability"].initial = CLOSED_PROBABILITY[StageKind(kind)]
            self.fields["probability"].help_text = _(
                "Fixed: won stages are always 100 %, lost stages 0 %."
            )
            self.fields["rotting_days"].disabled = True
            self.fields["rotting_days"].help_text = _("Won and lost deals never go stale.")
        if kind == StageKind.LOST:
            for name in ("entry_fields", "entry_checklist"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("A lost stage takes every deal.")

    @classmethod
    def for_stage(cls, stage: Stage, data: Any = None) -> StageSettingsForm:
        initial = {
            "name": stage.name,
            "probability": stage.probability,
            "rotting_days": stage.rotting_days,
            "entry_fields": stage.entry_fields,
            "entry_checklist": "\n".join(stage.entry_checklist),
        }
        return cls(data, initial=initial, kind=stage.kind, prefix=f"stage-{stage.pk}")

    def clean_entry_checklist(self) -> list[str]:
        value = self.cleaned_data.get("entry_checklist") or ""
        items = value if isinstance(value, list) else value.splitlines()
        items = [" ".join(item.split()) for item in items]
        items = [item for item in items if item]
        if len(items) > MAX_CHECKLIST_ITEMS:
            raise ValidationError(
                _("Use at most %(limit)d checklist items."), params={"limit": MAX_CHECKLIST_ITEMS}
            )
        for item in items:
            if len(item) > CHECKLIST_ITEM_MAX_LENGTH:
                raise ValidationError(
                    _("Checklist items have at most %(limit)d characters: %(item)s"),
                    params={"limit": CHECKLIST_ITEM_MAX_LENGTH, "item": item},
                )
        return items

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.stage_kind in CLOSED_PROBABILITY:
            cleaned["probability"] = CLOSED_PROBABILITY[StageKind(self.stage_kind)]
            cleaned["rotting_days"] = None
        elif cleaned.get("probability") is None and "probability" not in self.errors:
            self.add_error("probability", _("Enter the chance, 0 to 100, that a deal here is won."))
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "probability": data["probability"],
            "rotting_days": data["rotting_days"],
            "entry_fields": data["entry_fields"],
            "entry_checklist": data["entry_checklist"],
        }


class AddStageForm(StageSettingsForm):
    """A new stage: the kind is chosen here, and decides the rest as for an edit."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=StageKind.choices,
        initial=StageKind.OPEN,
        help_text=_("Open stages come first on the board; won and lost stages close the deal."),
    )
    field_order = ["name", "kind", "probability", "rotting_days", "entry_fields", "entry_checklist"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="new-stage", **kwargs)
        # The kind arrives with the data, so closing-stage rules are applied in clean().
        self.fields["probability"].help_text = _(
            "Won stages are always 100 %, lost stages 0 %: leave it empty for them."
        )

    def clean(self) -> dict[str, Any]:
        self.stage_kind = self.cleaned_data.get("kind") or StageKind.OPEN
        if self.stage_kind in CLOSED_PROBABILITY:
            fixed = CLOSED_PROBABILITY[StageKind(self.stage_kind)]
            given = self.cleaned_data.get("probability")
            if given is not None and given != fixed:
                self.add_error(
                    "probability",
                    _("A won stage is always 100 %.")
                    if self.stage_kind == StageKind.WON
                    else _("A lost stage is always 0 %."),
                )
            if self.cleaned_data.get("rotting_days") is not None:
                self.add_error(
                    "rotting_days", _("Won and lost deals never go stale; leave this empty.")
                )
        return super().clean()

    def service_arguments(self) -> dict[str, Any]:
        return {**super().service_arguments(), "kind": self.cleaned_data["kind"]}


class IntegerListField(forms.Field):
    """Several values of one name (``stage_ids=3&stage_ids=1``) as a list of integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return [int(item) for item in value]
        except (TypeError, ValueError):
            raise ValidationError(_("Stage ids must be whole numbers."), code="invalid") from None


class StageOrderForm(SettingsForm):
    stage_ids = IntegerListField(label=_("Stage order"))


class StageChoiceField(forms.ModelChoiceField):
    """Stages of one pipeline, so named without it (and without a query for it each)."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class DeleteStageForm(SettingsForm):
    """Where the deals of a stage go before it is removed; asked only if it holds deals."""

    move_deals_to = StageChoiceField(
        label=_("Move its deals to"),
        queryset=Stage.objects.none(),
        empty_label=_("Choose a stage…"),
    )

    def __init__(
        self, *args: Any, targets: QuerySet[Stage], deal_count: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["move_deals_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = targets
        field.required = deal_count > 0
