"""The change history of a deal's fields: who changed what, from what, to what, and when.

Stage moves have their own history (``StageChange``), which reports are built on; this is
every other edit. Both the value a machine reads back (``old_value``/``new_value``: a
decimal or date as text, a related record's id) and what a person saw at the time
(``old_display``/``new_display``: the company's name then, not now) are kept.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.models.deals import Opportunity
from pipeline.querysets import DealChangeQuerySet


class DealChange(models.Model):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="changes",
        # Covered by a composite index that starts with this column.
        db_index=False,
    )
    # A field of the deal ("value", "owner"), "line_items", or "custom:<key>".
    field = models.CharField(_("field"), max_length=80)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    old_display = models.CharField(_("was"), max_length=500, blank=True)
    new_display = models.CharField(_("became"), max_length=500, blank=True)
    # Users are deactivated, not deleted, so the name stays; a deleted user leaves "someone".
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = DealChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("deal change")
        verbose_name_plural = _("deal changes")
        indexes = [models.Index(fields=["opportunity", "at"], name="deal_change_deal_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}.{self.field}: {self.old_display} -> {self.new_display}"
