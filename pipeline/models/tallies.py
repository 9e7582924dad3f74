"""What the board's column headers add up: deals and their value per stage, owner and
currency, kept beside the deals so that a header costs a few rows, not a pass over every
deal of the column.

Per owner, because who may see a deal, and the board's owner and team filters, go by its
owner. Closed deals are counted per day they closed (in UTC), because the won and lost
columns show the last days' outcomes only.

A key's figures are the sum of its rows: every write of a deal appends the difference it
makes as rows of its own, so writers never wait for each other on a shared row, and a
compaction folds each key's rows into one now and then. Kept by ``pipeline.column_tallies``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.visibility import VisibleQuerySet


class ColumnTally(models.Model):
    stage = models.ForeignKey(
        "pipeline.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
        # Led by the stage, the indexes below cover it.
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    deals = models.IntegerField(_("deals"), default=0)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2, default=0)

    # Who may see a row is who may see its owner's deals.
    objects = VisibleQuerySet.as_manager()

    class Meta:
        abstract = True


class OpenColumnTally(ColumnTally):
    """Open deals of one owner in one stage and currency (a part of them: see above)."""

    class Meta:
        verbose_name = _("open deals of a column")
        verbose_name_plural = _("open deals of the columns")
        indexes = [models.Index(fields=["stage", "owner"], name="open_column_tally_idx")]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.owner_id} {self.currency}"


class ClosedColumnTally(ColumnTally):
    """Deals of one owner in one stage and currency that closed (won or lost) on one day,
    in UTC (a part of them: see above)."""

    closed_on = models.DateField(_("closed on"))

    class Meta:
        verbose_name = _("closed deals of a column and day")
        verbose_name_plural = _("closed deals of the columns by day")
        # The stage and the day first: the board reads a column's recent days.
        indexes = [models.Index(fields=["stage", "closed_on"], name="closed_column_tally_idx")]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.closed_on} {self.owner_id} {self.currency}"
