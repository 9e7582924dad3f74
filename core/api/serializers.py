"""The base of every model serializer that takes input: ids and text read as documented.

A model's text columns become fields that take JSON strings only, and its relations
``RecordIdField`` (a whole number in a primary key's range), so that what the schema
says a request holds is what the API accepts.
"""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from core.api.fields import (
    EmailTextField,
    RecordIdField,
    SlugTextField,
    TextField,
    UrlTextField,
)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.EmailField: EmailTextField,
        models.URLField: UrlTextField,
        models.SlugField: SlugTextField,
    }
    serializer_related_field = RecordIdField
