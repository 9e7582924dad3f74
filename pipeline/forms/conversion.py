"""The form that turns a qualified lead into a deal; ``pipeline.services.convert_lead`` decides."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from pipeline.forms.activity import PanelForm
from pipeline.models import Pipeline


class PipelineSelect(forms.Select):
    def use_required_attribute(self, initial: Any) -> bool:
        # There is no empty option, and asking would run the choices' query a second time.
        return False


class ConvertLeadForm(PanelForm):
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"),
        queryset=Pipeline.objects.active().order_by("position", "name"),
        empty_label=None,
        widget=PipelineSelect,
        help_text=gettext_lazy("The deal starts in its first stage."),
    )
    title = forms.CharField(label=gettext_lazy("Deal title"), max_length=200)
    value = forms.DecimalField(
        label=gettext_lazy("Value"), min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    currency = forms.CharField(label=gettext_lazy("Currency"), min_length=3, max_length=3)
    expected_close_date = forms.DateField(
        label=gettext_lazy("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
