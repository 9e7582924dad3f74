"""The settings form for a custom field (deals, companies, contacts and leads alike).

The values of custom fields on a record's own form: ``core.custom_fields.forms``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.custom_fields.definitions import choice_lines, parse_choice_lines
from core.custom_fields.kinds import FieldKind
from core.custom_fields.models import CustomFieldDefinition
from core.custom_fields.services import FieldSpec
from core.forms import StyledForm
from pipeline.models import Stage, StageKind


class FieldDefinitionForm(StyledForm):
    """Label, kind, help text, choices, currency; for deals also the required-from stage."""

    label = forms.CharField(label=_("Label"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices)
    help_text = forms.CharField(label=_("Help text"), max_length=300, required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For one or several choices: one a line. Keep the part before “|” to rename a "
            "choice without changing what records hold."
        ),
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("For money: ISO code.")
    )
    required_from_stage = forms.ModelChoiceField(
        label=_("Required from stage"),
        queryset=Stage.objects.none(),
        required=False,
        help_text=_("A deal cannot enter this stage, or a later one, without a value."),
    )

    def __init__(
        self,
        *args: Any,
        for_deals: bool,
        definition: CustomFieldDefinition | None = None,
        **kwargs: Any,
    ) -> None:
        if definition is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "label": definition.label,
                "kind": definition.kind,
                "help_text": definition.help_text,
                "choices": choice_lines(definition.choice_list),
                "currency": definition.currency,
                "required_from_stage": getattr(definition, "required_from_stage_id", None),
            }
        super().__init__(*args, **kwargs)
        if for_deals:
            stages = self.fields["required_from_stage"]
            assert isinstance(stages, forms.ModelChoiceField)
            stages.queryset = (
                Stage.objects.filter(archived_at__isnull=True, pipeline__is_active=True)
                .exclude(kind=StageKind.LOST)
                .select_related("pipeline")
                .order_by("pipeline__position", "pipeline__name", "position")
            )
        else:
            del self.fields["required_from_stage"]

    def spec(self) -> FieldSpec:
        data = self.cleaned_data
        return FieldSpec(
            label=data["label"],
            kind=data["kind"],
            help_text=data.get("help_text", ""),
            choices=parse_choice_lines(data.get("choices", "")),
            currency=data.get("currency", ""),
        )
