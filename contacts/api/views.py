"""Companies, contacts and leads: list, read, create and edit through the contacts services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.api.filters import CompanyFilter, ContactFilter, LeadFilter
from contacts.api.serializers import (
    CompanySerializer,
    ContactSerializer,
    DisqualifySerializer,
    DuplicateLeadSerializer,
    LeadSerializer,
    QualificationSerializer,
)
from contacts.models import Company, Contact, Lead
from contacts.services import (
    DuplicateLead,
    answer_criteria,
    create_lead,
    disqualify_lead,
    update_lead,
)
from contacts.services.companies import (
    DuplicateCompanyDomain,
    create_company,
    update_company,
)
from contacts.services.people import create_contact, update_contact
from core.api.access import VisibleRecordsMixin
from core.api.errors import error_responses
from core.api.listing import CursorPage


class RecordViewSet(
    VisibleRecordsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Create and edit through a service: ``write(pk or None, fields)`` returns the record.

    Records are merged or disqualified, not deleted, through the API; PUT is not offered
    because a client rarely means to blank every field it left out.
    """

    pagination_class = CursorPage
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def write(self, pk: int | None, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("owner")

    def _answer(self, pk: int, status_code: int) -> Response:
        record = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(record).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.write(None, dict(serializer.validated_data))
        return self._answer(record.pk, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_editable_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self.write(record.pk, dict(serializer.validated_data))
        return self._answer(record.pk, status.HTTP_200_OK)


COMPANY_EXAMPLE = {
    "id": 40,
    "name": "Acme GmbH",
    "domain": "acme.example",
    "industry": "Manufacturing",
    "country": "DE",
    "region": "Bavaria",
    "owner": 7,
    "owner_name": "Alice Example",
    "external_id": "",
    "created_at": "2026-03-02T10:00:00Z",
    "updated_at": "2026-11-20T14:00:00Z",
}
COMPANY_RESPONSE = OpenApiExample("A company", value=COMPANY_EXAMPLE, response_only=True)
DUPLICATE_DOMAIN = OpenApiExample(
    "Domain taken",
    value={"domain": ["A company with this domain already exists."], "duplicates": [40]},
    status_codes=["400"],
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List companies",
        description=(
            "Companies you can see, a cursor page at a time. Filter by `owner`, `country`, "
            "`domain`, `external_id`, `updated_since`; sort with `ordering`."
        ),
        examples=[COMPANY_RESPONSE],
        responses={200: CompanySerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a company",
        examples=[COMPANY_RESPONSE],
        responses={200: CompanySerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create a company",
        description=(
            "A domain that a company you can see already has is refused (400 naming "
            "`domain`, with the `duplicates`' ids) unless `allow_duplicate_domain` is true."
        ),
        examples=[
            OpenApiExample(
                "New company",
                value={"name": "Acme GmbH", "domain": "acme.example", "country": "DE"},
                request_only=True,
            ),
            COMPANY_RESPONSE,
            DUPLICATE_DOMAIN,
        ],
        responses={201: CompanySerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Edit a company",
        description="Only the owner, their manager or an admin may (403 for a teammate).",
        examples=[
            OpenApiExample("New industry", value={"industry": "Logistics"}, request_only=True),
            COMPANY_RESPONSE,
        ],
        responses={200: CompanySerializer, **error_responses(400, 404)},
    ),
)
class CompanyViewSet(RecordViewSet):
    model = Company
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    ordering_fields = ["id", "name", "created_at", "updated_at"]
    ordering = ["name"]

    def write(self, pk: int | None, fields: dict[str, Any]) -> Company:
        allow_duplicate = fields.pop("allow_duplicate_domain", False)
        if pk is None:
            return create_company(
                by=self.request.user, fields=fields, allow_duplicate_domain=allow_duplicate
            )
        return update_company(
            by=self.request.user,
            company_id=pk,
            fields=fields,
            allow_duplicate_domain=allow_duplicate,
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DuplicateCompanyDomain):
            # The field error, plus which companies the user may open instead.
            body = {
                **exc.message_dict,
                "duplicates": [company.pk for company in exc.duplicates],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


CONTACT_EXAMPLE = {
    "id": 95,
    "company": 40,
    "company_name": "Acme GmbH",
    "first_name": "Jana",
    "last_name": "Novak",
    "full_name": "Jana Novak",
    "email": "jana.novak@acme.example",
    "phone": "+49 89 1234567",
    "job_title": "Head of Purchasing",
    "owner": 7,
    "owner_name": "Alice Example",
    "external_id": "",
    "created_at": "2026-03-02T10:05:00Z",
    "updated_at": "2026-11-20T14:00:00Z",
}
CONTACT_RESPONSE = OpenApiExample("A contact", value=CONTACT_EXAMPLE, response_only=True)


@extend_schema_view(
    list=extend_schema(
        summary="List contacts",
        description=(
            "People at companies, those you can see, a cursor page at a time. Filter by "
            "`owner`, `company`, `email`, `external_id`, `updated_since`."
        ),
        examples=[CONTACT_RESPONSE],
        responses={200: ContactSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a contact",
        examples=[CONTACT_RESPONSE],
        responses={200: ContactSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create a contact",
        description=(
            "A person at a company you can see. An email is unique per company, whatever "
            "the case (400 naming `email`)."
        ),
        examples=[
            OpenApiExample(
                "New contact",
                value={
                    "company": 40,
                    "first_name": "Jana",
                    "last_name": "Novak",
                    "email": "jana.novak@acme.example",
                },
                request_only=True,
            ),
            CONTACT_RESPONSE,
        ],
        responses={201: ContactSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Edit a contact",
        description="Only the owner, their manager or an admin may (403 for a teammate).",
        examples=[
            OpenApiExample("New title", value={"job_title": "COO"}, request_only=True),
            CONTACT_RESPONSE,
        ],
        responses={200: ContactSerializer, **error_responses(400, 404)},
    ),
)
class ContactViewSet(RecordViewSet):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["id", "last_name", "created_at", "updated_at"]
    ordering = ["last_name"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("owner", "company")

    def write(self, pk: int | None, fields: dict[str, Any]) -> Contact:
        if pk is None:
            return create_contact(by=self.request.user, fields=fields)
        return update_contact(by=self.request.user, contact_id=pk, fields=fields)


LEAD_EXAMPLE = {
    "id": 3001,
    "first_name": "Tom",
    "last_name": "Berg",
    "email": "tom.berg@globex.example",
    "phone": "",
    "company_name": "Globex",
    "company_domain": "globex.example",
    "job_title": "CTO",
    "country": "SE",
    "region": "",
    "source": "web",
    "owner": 7,
    "owner_name": "Alice Example",
    "status": "contacted",
    "score": 40,
    "disqualified_reason": "",
    "contact_attempts": 2,
    "first_touch_at": "2026-11-18T09:00:00Z",
    "last_touch_at": "2026-11-20T15:30:00Z",
    "last_chance_since": None,
    "disqualification_proposed_since": None,
    "duplicate_of": None,
    "converted_company": None,
    "converted_contact": None,
    "converted_at": None,
    "external_id": "",
    "created_at": "2026-11-17T16:42:00Z",
    "updated_at": "2026-11-20T15:30:00Z",
}
LEAD_RESPONSE = OpenApiExample("A lead", value=LEAD_EXAMPLE, response_only=True)
DUPLICATE_LEAD = OpenApiResponse(
    response=DuplicateLeadSerializer,
    description=(
        "The email or company domain matches earlier leads: nothing was saved. Send again "
        "with `allow_duplicate: true` to save it anyway (flagged as a possible duplicate)."
    ),
    examples=[
        OpenApiExample(
            "Already known",
            value={
                "detail": "A lead with this email or company domain already exists (1 found).",
                "duplicates": [2870],
            },
            status_codes=["409"],
            response_only=True,
        )
    ],
)


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description=(
            "Leads you can see (managers also see the unassigned queue), newest first, a "
            "cursor page at a time. Filter by `owner`, `status`, `source`, `is_assigned`, "
            "`email`, `updated_since`, creation range."
        ),
        examples=[LEAD_RESPONSE],
        responses={200: LeadSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a lead",
        examples=[LEAD_RESPONSE],
        responses={200: LeadSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create a lead",
        description=(
            "Without an `owner`, the lead policy's assignment rule picks one. A lead whose "
            "email or company domain matches an earlier one answers 409 with their ids "
            "unless `allow_duplicate` is true."
        ),
        examples=[
            OpenApiExample(
                "New lead",
                value={
                    "first_name": "Tom",
                    "last_name": "Berg",
                    "source": "web",
                    "email": "tom.berg@globex.example",
                    "company_name": "Globex",
                },
                request_only=True,
            ),
            LEAD_RESPONSE,
        ],
        responses={201: LeadSerializer, 409: DUPLICATE_LEAD, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Edit a lead",
        description=(
            "Change details or hand the lead on (`owner`). Status and score change through "
            "touchpoints, qualification and conversion, not here."
        ),
        examples=[
            OpenApiExample("Hand on", value={"owner": 8}, request_only=True),
            LEAD_RESPONSE,
        ],
        responses={200: LeadSerializer, 409: DUPLICATE_LEAD, **error_responses(400, 404)},
    ),
)
class LeadViewSet(RecordViewSet):
    model = Lead
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    ordering_fields = ["id", "created_at", "updated_at", "score", "last_name"]
    ordering = ["-created_at"]

    def write(self, pk: int | None, fields: dict[str, Any]) -> Lead:
        allow_duplicate = fields.pop("allow_duplicate", False)
        if pk is None:
            return create_lead(by=self.request.user, fields=fields, allow_duplicate=allow_duplicate)
        return update_lead(
            by=self.request.user, lead_id=pk, fields=fields, allow_duplicate=allow_duplicate
        )

    @extend_schema(
        summary="Disqualify a lead",
        description=(
            "Let an open lead go, saying why (`reason`). Disqualifying again replaces the "
            "reason; a converted lead cannot be disqualified (400)."
        ),
        request=DisqualifySerializer,
        examples=[
            OpenApiExample("No budget", value={"reason": "No budget this year"}, request_only=True),
            LEAD_RESPONSE,
        ],
        responses={200: LeadSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def disqualify(self, request: Request, pk: str) -> Response:
        params = DisqualifySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        lead = disqualify_lead(
            by=request.user, lead_id=int(pk), reason=params.validated_data["reason"]
        )
        return self._answer(lead.pk, status.HTTP_200_OK)

    @extend_schema(
        summary="Answer qualification criteria",
        description=(
            "Record whether each active criterion is met, then rescore the lead: an open lead "
            "reaching the qualifying score becomes qualified, one falling below it does not "
            "stay qualified. An unknown or retired criterion is refused (400 naming `answers`)."
        ),
        request=QualificationSerializer,
        examples=[
            OpenApiExample(
                "Budget yes, authority no",
                value={
                    "answers": [{"criterion": 1, "is_met": True}, {"criterion": 2, "is_met": False}]
                },
                request_only=True,
            ),
            LEAD_RESPONSE,
        ],
        responses={200: LeadSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def qualification(self, request: Request, pk: str) -> Response:
        params = QualificationSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        answers = {row["criterion"]: row["is_met"] for row in params.validated_data["answers"]}
        lead = answer_criteria(by=request.user, lead_id=int(pk), answers=answers)
        return self._answer(lead.pk, status.HTTP_200_OK)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DuplicateLead):
            # Ids of matches the user may not see stay hidden; the message gives the count.
            visible = set(
                Lead.objects.visible_to(self.request.user)
                .filter(pk__in=[lead.pk for lead in exc.matches])
                .values_list("pk", flat=True)
            )
            body = {
                "detail": str(exc),
                "duplicates": [lead.pk for lead in exc.matches if lead.pk in visible],
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)
