"""The buying team of a deal: the people at the customer who decide, pay, use or block it.

Roles come from a list admins edit; a role that ``decides`` counts for the entry criterion
"decision maker known". One member of the team is primary: the deal's ``contact``, which
the board card and the entry criteria read, and which the buying-team services keep equal.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline.models.deals import Opportunity
from pipeline.querysets import DealContactQuerySet


class BuyingRole(models.Model):
    name = models.CharField(_("name"), max_length=60)
    decides = models.BooleanField(
        _("decides"),
        default=False,
        help_text=_("Counts as the decision maker a stage may ask for."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("buying role")
        verbose_name_plural = _("buying roles")
        constraints = [models.UniqueConstraint(Lower("name"), name="buying_role_name_unique")]

    def __str__(self) -> str:
        return self.name


class DealContact(models.Model):
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="buying_team",
        # Covered by the unique constraint that starts with this column.
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="deal_roles",
    )
    role = models.ForeignKey(
        BuyingRole,
        verbose_name=_("role"),
        # A role in use is retired (inactive), not deleted.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    objects = DealContactQuerySet.as_manager()

    class Meta:
        ordering = ["opportunity", "-is_primary", "pk"]
        verbose_name = _("buying team member")
        verbose_name_plural = _("buying team")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="deal_contact_once_per_deal"
            ),
            models.UniqueConstraint(
                fields=["opportunity"],
                condition=Q(is_primary=True),
                name="deal_contact_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.contact_id}"
