"""The board's change sequence: one row per write of a deal, which open boards poll.

A board remembers the sequence as it stood when it was drawn and asks for the deals
written since: it redraws those cards and their columns' headers, nothing else. The rows
are written by the database itself (triggers on the deals table, see the migration), so
that every write counts: a service, an import, the admin, a bulk UPDATE or a DELETE.

On PostgreSQL a row carries the writing transaction's id and the board's version is a
transaction snapshot: "written since" means "not yet committed in that snapshot", which
counts a transaction that began before the board was drawn and committed after it (an
id or a clock would miss it). On SQLite, writers take turns, so ids commit in order and
the version is the last id.

Each row names the deal's pipeline, owner and stage after the write and, where the write
changed them, before it: a board shows a change to whoever could see the deal before or
after it, so a deal handed to another team leaves its old team's boards.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from accounts.visibility import VisibleQuerySet, owner_visible_q

if TYPE_CHECKING:
    from django.db.models import Q
    from django.utils.functional import _StrPromise

    from accounts.models import User

# A board drawn longer ago than this is redrawn whole (pipeline.board_changes); the rows
# are kept twice as long, so that a version still honoured never lacks rows.
HONOURED = dt.timedelta(hours=12)
KEPT = 2 * HONOURED


class BoardChangeQuerySet(VisibleQuerySet):
    def visibility_q(self, user: User) -> Q | None:
        owner = owner_visible_q(user, "owner")
        former = owner_visible_q(user, "former_owner")
        return None if owner is None or former is None else owner | former

    def of_pipeline(self, pipeline_id: int) -> Self:
        return self.filter(pipeline_id=pipeline_id)

    def prune(self, now: dt.datetime) -> int:
        """Delete the rows no honoured version needs; how many."""
        deleted, _ = self.filter(at__lt=now - KEPT).delete()
        return deleted


def _log_reference(
    model: str, verbose_name: str | _StrPromise, *, null: bool = False
) -> models.ForeignKey:
    # No constraint: the log outlives what it names (a deleted deal, stage or pipeline is
    # a change too). The one index is the pipeline's, below.
    return models.ForeignKey(
        model,
        verbose_name=verbose_name,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        null=null,
    )


class BoardChange(models.Model):
    pipeline = _log_reference("pipeline.Pipeline", _("pipeline"))
    opportunity = _log_reference("pipeline.Opportunity", _("deal"))
    owner = _log_reference(settings.AUTH_USER_MODEL, _("owner"), null=True)
    former_owner = _log_reference(settings.AUTH_USER_MODEL, _("former owner"), null=True)
    stage = _log_reference("pipeline.Stage", _("stage"), null=True)
    former_stage = _log_reference("pipeline.Stage", _("former stage"), null=True)
    # PostgreSQL: the writing transaction (pg_current_xact_id()); empty on SQLite.
    transaction = models.BigIntegerField(_("transaction"), null=True, editable=False)
    at = models.DateTimeField(_("at"), db_default=Now(), editable=False)

    objects = BoardChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("board change")
        verbose_name_plural = _("board changes")
        indexes = [
            models.Index(fields=["pipeline", "transaction"], name="board_change_pipeline_idx"),
            # The nightly pruning of old rows.
            models.Index(fields=["at"], name="board_change_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} @ {self.at:%Y-%m-%d %H:%M:%S}"
