"""How the OpenAPI schema describes what every endpoint shares: ids and framework errors.

``ApiAutoSchema`` (``DEFAULT_SCHEMA_CLASS``) adds to each operation the answers that come
from the plumbing rather than the view, so that no view can forget them: a list's 400
(``ordering``, a filter, ``page_size``) and 404 (a cursor or page it did not give out), a
body's 400, 413 and 415. Views document their own answers (a record's 404, a move's 409)
with ``core.api.errors.error_responses``.

Every query parameter is documented with ``allowEmptyValue``: an empty value (``?owner=``)
means the parameter was not given, as it does for HTML forms, django-filter and DRF. Free
text parameters are documented without NUL characters, which Django's form fields refuse.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema

from core.api import custom_fields  # noqa: F401  (registers the custom fields' schema)
from core.api.errors import error_response
from core.api.fields import MAX_ID, RecordIdField

BODY_METHODS = {"POST", "PUT", "PATCH"}
NO_NUL = "^[^\\u0000]*$"


class RecordIdFieldSchema(OpenApiSerializerFieldExtension):
    """A record's id as DRF documents it, with the range ``RecordIdField`` accepts."""

    target_class = RecordIdField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_ID)
        return schema


class ApiAutoSchema(AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query":
                parameter["allowEmptyValue"] = True
                schema = parameter["schema"]
                if schema.get("type") == "string" and not schema.keys() & {"enum", "format"}:
                    # Django's form fields refuse NUL characters (no PostgreSQL text holds one).
                    schema.setdefault("pattern", NO_NUL)
        return operation

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status in self._framework_statuses():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_response(status, listing=self._is_list_view()), str(status)
                )
        return dict(sorted(responses.items()))

    def _framework_statuses(self) -> set[int]:
        statuses = {401, 403, 429}
        if self.method == "GET" and self._is_list_view() and self._get_paginator():
            statuses |= {400, 404}
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            statuses |= {400, 413, 415}
        return statuses
