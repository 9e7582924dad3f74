"""Custom fields of deals: the definitions; the values are on each deal (``custom_fields``)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.custom_fields.models import CustomFieldDefinition
from pipeline.models.deals import Opportunity
from pipeline.models.pipelines import Stage


class DealField(CustomFieldDefinition):
    """A custom field of deals, optionally an entry criterion from one stage on."""

    # A deal may not enter this stage, or any later one of its pipeline, without a value.
    required_from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("required from stage"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="required_deal_fields",
    )

    class Meta(CustomFieldDefinition.Meta):
        verbose_name = _("deal custom field")
        verbose_name_plural = _("deal custom fields")
        constraints = [
            models.UniqueConstraint(fields=["key"], name="deal_field_key_unique"),
        ]
        indexes = [
            models.Index(
                fields=["required_from_stage"],
                condition=Q(required_from_stage__isnull=False, archived_at__isnull=True),
                name="deal_field_required_idx",
            )
        ]

    def record_model(self) -> type[models.Model]:
        return Opportunity
