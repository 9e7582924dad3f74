"""Converting a lead into a company, a contact and a deal: ``POST /api/leads/<id>/convert/``.

Served from the pipeline app because the deal is the pipeline's; the URL sits with the
leads, where a client looks for it.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_responses
from pipeline.api.serializers import ConvertLeadSerializer, OpportunitySerializer
from pipeline.api.views.opportunities import DEAL_RESPONSE
from pipeline.models import Opportunity
from pipeline.services.conversion import convert_lead


class ConvertLeadView(APIView):
    @extend_schema(
        operation_id="leads_convert_create",
        summary="Convert a lead",
        description=(
            "Turn a lead that reached the qualifying score into a company (the one given, a "
            "visible one with the lead's domain, or a new one), a contact and a deal in the "
            "pipeline's first open stage, owned by the lead's owner. The lead's touchpoints "
            "and tasks come along. A lead below the threshold, converted or disqualified "
            "answers 400 saying so; nothing is written."
        ),
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        request=ConvertLeadSerializer,
        examples=[
            OpenApiExample(
                "Convert",
                value={
                    "pipeline": 1,
                    "title": "Globex platform",
                    "value": "30000.00",
                    "currency": "EUR",
                },
                request_only=True,
            ),
            DEAL_RESPONSE,
            OpenApiExample(
                "Not qualified yet",
                value={
                    "non_field_errors": [
                        "This lead scores 40; it needs 60 to be converted. "
                        "Answer its qualification criteria first."
                    ]
                },
                status_codes=["400"],
                response_only=True,
            ),
        ],
        responses={201: OpportunitySerializer, **error_responses(400, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        params = ConvertLeadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        deal = convert_lead(
            by=request.user,
            lead_id=pk,
            pipeline_id=data["pipeline"],
            title=data["title"],
            value=data["value"],
            currency=data.get("currency", settings.DEFAULT_CURRENCY),
            expected_close_date=data.get("expected_close_date"),
            company_id=data.get("company"),
        )
        deal = Opportunity.objects.select_related("company", "owner", "stage").get(pk=deal.pk)
        body = OpportunitySerializer(deal, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)
