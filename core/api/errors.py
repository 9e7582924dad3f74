"""Error answers: service exceptions as HTTP responses, and their OpenAPI description.

Services raise Django's exceptions (``ValidationError`` keyed by field, ``PermissionDenied``,
a model's ``DoesNotExist``); views let them through and ``api_exception_handler`` answers
them as DRF would its own: 400 with ``{field: [messages]}``, 403 or 404 with ``{detail}``.
Django's refusals of an oversized request (which it would answer with an HTML page) become
413 or 400 with ``{detail}`` too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "request_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(
            _("The request body is larger than the %(limit)d bytes allowed.") % {"limit": limit}
        )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(_("The request sends more fields than are allowed."))
    elif isinstance(exc, DjangoValidationError):
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        # DRF would answer its generic message; the service's says what is not allowed.
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist):
        # A record outside visible_to reads exactly like one that does not exist.
        exc = exceptions.NotFound()
    return exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, in the user's language."))


class ThrottledSerializer(ErrorSerializer):
    retry_after = serializers.IntegerField(help_text=_("Seconds to wait before retrying."))


# Field errors: each key is a field of the request (or ``non_field_errors``), each value
# its messages. Nested fields (list items) may answer with an object instead of a list.
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        api_settings.NON_FIELD_ERRORS_KEY: {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "description": "Messages about the field of the request with this name.",
    },
}

_DETAIL_EXAMPLES = {
    401: ("Not signed in", "Authentication credentials were not provided."),
    403: ("Not allowed", "You may see this record but not change it."),
    404: ("Not found", "No Opportunity matches the given query."),
    413: ("Too large", "The request body is larger than the 2621440 bytes allowed."),
    415: ("Not JSON", 'Unsupported media type "text/plain" in request.'),
    429: ("Throttled", "Request was throttled. Expected available in 12 seconds."),
}
_LIST_EXAMPLE = ("Invalid cursor", "Invalid cursor")
_DESCRIPTIONS = {
    400: _(
        "Invalid input: the body names each field or query parameter that was refused, and "
        "why; a body that is not JSON, or nested too deeply, is refused with a detail."
    ),
    401: _("No valid credentials were sent (session or API token)."),
    403: _(
        "Signed in, but not allowed: a record you may see but not change, an admin-only "
        "action, or a session request without its CSRF token."
    ),
    404: _("No such record, or none you may see."),
    413: _("The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)."),
    415: _("The request body is not in a format the API reads: send JSON."),
    429: _("Too many requests: wait the number of seconds in the Retry-After header."),
}


_LIST_NOT_FOUND = _(
    'The cursor or page number is not one this list gave out ("Invalid cursor", '
    '"Invalid page."): start again from the first page.'
)


def error_response(status: int, *, listing: bool = False) -> OpenApiResponse:
    """The documented answer for one error status, with an example body.

    ``listing``: the answer of a list endpoint, whose 404 is about its cursor or page.
    """
    if status == 400:
        return OpenApiResponse(
            response=FIELD_ERRORS_SCHEMA,
            description=_DESCRIPTIONS[400],
            examples=[
                OpenApiExample(
                    "Field refused",
                    value={"title": ["This field may not be blank."]},
                    status_codes=["400"],
                    response_only=True,
                )
            ],
        )
    name, detail = _LIST_EXAMPLE if listing and status == 404 else _DETAIL_EXAMPLES[status]
    value: dict[str, Any] = {"detail": detail}
    if status == 429:
        value["retry_after"] = 12
    return OpenApiResponse(
        response=ThrottledSerializer if status == 429 else ErrorSerializer,
        description=_LIST_NOT_FOUND if listing and status == 404 else _DESCRIPTIONS[status],
        examples=[
            OpenApiExample(
                name,
                value=value,
                status_codes=[str(status)],
                response_only=True,
            )
        ],
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented errors: 401, 403 and 429 always, plus the given statuses."""
    return {status: error_response(status) for status in sorted({401, 403, 429, *statuses})}
