from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Team, User
from core.api.fields import RecordIdField, TextField
from core.api.serializers import ModelSerializer
from core.currencies import validate_currency
from forecasting import quotas
from forecasting.models import Quota
from forecasting.periods import Period


class QuotaSerializer(ModelSerializer):
    """A target for one user or one team (exactly one of the two) over a period."""

    user = RecordIdField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = RecordIdField(queryset=Team.objects.all(), required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = TextField(required=False, validators=[validate_currency])

    class Meta:
        model = Quota
        fields = ["id", "user", "team", "period_start", "period_end", "amount", "currency"]
        # The unique constraints are checked in validate(), with messages naming the field.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def merged(name: str) -> Any:
            # A partial update checks the quota as it will be, not just what was sent.
            return attrs.get(name, getattr(self.instance, name, None))

        user, team, start, end = (merged(n) for n in ("user", "team", "period_start", "period_end"))
        if (user is None) == (team is None):
            raise serializers.ValidationError(
                {"user": _("A quota is for a user or a team: give exactly one of the two.")}
            )
        if end < start:
            raise serializers.ValidationError(
                {"period_end": _("The period cannot end before it starts.")}
            )
        owner = "user" if user is not None else "team"
        clash = Quota.objects.filter(
            **{owner: user if user is not None else team, "period_start": start}
        )
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {
                    "period_start": _("This %(owner)s already has a quota starting that day.")
                    % {"owner": owner}
                }
            )
        # The domain rules (month or quarter, the year's kind and currency) live in
        # forecasting.quotas; their "period" is this API's period_start and period_end.
        try:
            attrs["currency"] = quotas.check_quota(
                user if user is not None else team,
                Period(start=start, end=end),
                merged("amount"),
                attrs.get("currency") or (self.instance.currency if self.instance else None),
                replacing=self.instance,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {
                    ("period_start" if field == "period" else field): messages
                    for field, messages in error.message_dict.items()
                }
            ) from error
        return attrs


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("Inclusive."))


class PipelineTotalSerializer(serializers.Serializer):
    pipeline = serializers.IntegerField(source="pipeline_id")
    pipeline_name = serializers.CharField()
    currency = serializers.CharField()
    count = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=_("Value times each stage's win probability.")
    )


class AttainmentSerializer(serializers.Serializer):
    currency = serializers.CharField()
    won_count = serializers.IntegerField()
    won = serializers.DecimalField(max_digits=16, decimal_places=2)
    quota = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    percent = serializers.IntegerField(
        allow_null=True, help_text=_("Won as a percentage of quota; null without a quota.")
    )


class ForecastSummarySerializer(serializers.Serializer):
    scope = serializers.CharField(help_text=_("Whose figures: yours, your teams' or all."))
    period = PeriodSerializer()
    open_pipeline = PipelineTotalSerializer(many=True)
    stale_count = serializers.IntegerField()
    attainment = AttainmentSerializer(many=True)
    overdue_task_count = serializers.IntegerField()


class ForecastQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, help_text=_("Any day of the quarter to report on; default: today.")
    )
