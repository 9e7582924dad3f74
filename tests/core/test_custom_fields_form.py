"""The form mixin that puts custom fields on any form (the deal create and edit forms)."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.custom_fields.forms import CustomFieldsFormMixin
from core.forms import StyledForm, add_service_errors
from pipeline.models import DealField


class DealForm(CustomFieldsFormMixin, StyledForm):
    title = forms.CharField()

    def __init__(self, *args, definitions, stored=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_custom_fields(definitions, stored)


@pytest.fixture
def definitions(db):
    return [
        DealField(key="budget", label="Budget", kind="money", currency="EUR"),
        DealField(key="signed", label="Signed on", kind="date"),
        DealField(key="renewal", label="Auto-renewal", kind="boolean"),
        DealField(
            key="modules",
            label="Modules",
            kind="choices",
            choices=[{"key": "crm", "label": "CRM"}, {"key": "erp", "label": "ERP"}],
        ),
        DealField(key="gone", label="Gone", kind="text", archived_at=dt.datetime(2026, 1, 1)),
    ]


def test_fields_are_added_with_their_stored_values(definitions):
    form = DealForm(definitions=definitions, stored={"budget": "12.5", "renewal": False})
    assert form.custom_field_names == [
        "custom_fields.budget",
        "custom_fields.signed",
        "custom_fields.renewal",
        "custom_fields.modules",
    ]
    assert form["custom_fields.budget"].value() == Decimal("12.5")
    assert form["custom_fields.renewal"].value() == "false"
    assert "form-control" in form.fields["custom_fields.budget"].widget.attrs["class"]


def test_values_come_out_as_the_services_take_them(definitions):
    data = {
        "title": "Deal",
        "custom_fields.budget": "99.90",
        "custom_fields.signed": "2026-05-01",
        "custom_fields.renewal": "true",
        "custom_fields.modules": ["erp"],
    }
    form = DealForm(data, definitions=definitions)
    assert form.is_valid(), form.errors
    assert form.custom_field_values() == {
        "budget": Decimal("99.90"),
        "signed": dt.date(2026, 5, 1),
        "renewal": True,
        "modules": ["erp"],
    }


def test_service_errors_land_on_their_field(definitions):
    form = DealForm({"title": "x"}, definitions=definitions)
    assert form.is_valid()
    add_service_errors(form, ValidationError({"custom_fields.budget": "Budget is required."}))
    assert form.errors["custom_fields.budget"] == ["Budget is required."]
    assert form.custom_field_values()["budget"] == ""
