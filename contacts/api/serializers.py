"""Companies, contacts and leads as the API shows and accepts them.

Fields the services own (a lead's status, score, touches and conversion) are read only:
a client sending them changes nothing. Owners are chosen among the users the actor may
give records to, so a rep cannot hand a record to another team (400 naming ``owner``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.fields import UserChoiceField
from accounts.assignment import assignable_users
from contacts.models import Company, Contact, Lead
from contacts.services.leads import lead_owners
from contacts.services.record_values import active_record_fields
from core.api.custom_fields import CustomFieldsField
from core.api.fields import StrictBooleanField, TextField, VisibleRelatedField, id_field
from core.api.serializers import ModelSerializer


class CompanySerializer(ModelSerializer):
    custom_fields = CustomFieldsField(lambda: active_record_fields("company"))
    owner = UserChoiceField(assignable_users, required=False, help_text=_("Default: you."))
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    allow_duplicate_domain = StrictBooleanField(
        write_only=True,
        default=False,
        help_text=_("Save even though a company you can see has this domain."),
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "custom_fields",
            "name",
            "domain",
            "industry",
            "country",
            "region",
            "owner",
            "owner_name",
            "external_id",
            "created_at",
            "updated_at",
            "allow_duplicate_domain",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The service reads "de" as DE before the model's ISO check; checked there.
        extra_kwargs = {"country": {"validators": []}}


class ContactSerializer(ModelSerializer):
    custom_fields = CustomFieldsField(lambda: active_record_fields("contact"))
    company = VisibleRelatedField(Company)
    company_name = serializers.CharField(source="company.name", read_only=True)
    owner = UserChoiceField(assignable_users, required=False, help_text=_("Default: you."))
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "custom_fields",
            "company",
            "company_name",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "phone",
            "job_title",
            "owner",
            "owner_name",
            "external_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness (email per company, external id) is the service's to check and name.
        validators: list[object] = []


class LeadSerializer(ModelSerializer):
    custom_fields = CustomFieldsField(lambda: active_record_fields("lead"))
    owner = UserChoiceField(
        lead_owners,
        required=False,
        allow_null=True,
        help_text=_("Default: the lead policy's assignment rule, else you (reps)."),
    )
    owner_name = serializers.SerializerMethodField(help_text=_("Null while unassigned."))
    allow_duplicate = StrictBooleanField(
        write_only=True,
        default=False,
        help_text=_("Save even though the email or company domain matches an earlier lead."),
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "custom_fields",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_name",
            "company_domain",
            "job_title",
            "country",
            "region",
            "source",
            "owner",
            "owner_name",
            "status",
            "score",
            "disqualified_reason",
            "contact_attempts",
            "first_touch_at",
            "last_touch_at",
            "last_chance_since",
            "disqualification_proposed_since",
            "duplicate_of",
            "converted_company",
            "converted_contact",
            "converted_at",
            "external_id",
            "created_at",
            "updated_at",
            "allow_duplicate",
        ]
        read_only_fields = [
            "status",
            "score",
            "disqualified_reason",
            "contact_attempts",
            "first_touch_at",
            "last_touch_at",
            "last_chance_since",
            "disqualification_proposed_since",
            "duplicate_of",
            "converted_company",
            "converted_contact",
            "converted_at",
            "created_at",
            "updated_at",
        ]
        validators: list[object] = []
        # The service reads "de" as DE before the model's ISO check; checked there.
        extra_kwargs = {"country": {"validators": []}}

    def get_owner_name(self, lead: Lead) -> str | None:
        return None if lead.owner is None else str(lead.owner)


class DuplicateLeadSerializer(serializers.Serializer):
    detail = serializers.CharField()
    duplicates = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("Ids of the matching leads you can see, oldest first."),
    )


class DisqualifySerializer(serializers.Serializer):
    reason = TextField(max_length=200, help_text=_("Why the lead is let go."))


class AnswerSerializer(serializers.Serializer):
    criterion = id_field()
    is_met = StrictBooleanField()


class QualificationSerializer(serializers.Serializer):
    answers = AnswerSerializer(
        many=True,
        allow_empty=False,
        help_text=_("Whether each criterion (by id) is met; criteria left out keep their answer."),
    )
