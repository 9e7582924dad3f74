"""What converting a lead into a deal takes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import TextField, id_field
from core.currencies import validate_currency


class ConvertLeadSerializer(serializers.Serializer):
    """What the new deal needs; the company and contact come from the lead."""

    pipeline = id_field(help_text=_("The pipeline the deal starts in (its first open stage)."))
    title = TextField(max_length=200)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = TextField(validators=[validate_currency], required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    company = id_field(
        required=False,
        allow_null=True,
        help_text=_(
            "An existing company you can see; default: one with the lead's domain, else new."
        ),
    )
