"""Domain events of the pipeline, sent after the transaction that caused them commits.

Receivers (outgoing webhooks, for one) live in apps that know about the pipeline; the
pipeline itself never imports them.
"""

from django.dispatch import Signal

# sender=Opportunity, opportunity=<Opportunity>, from_stage=<Stage>, to_stage=<Stage>, by=<User>
opportunity_moved = Signal()
# sender=Opportunity, opportunity=<Opportunity>, by=<User>
opportunity_won = Signal()
# sender=Opportunity, opportunity=<Opportunity>, by=<User>
opportunity_lost = Signal()
# sender=Opportunity, opportunity_ids=<frozenset[int]>, new=<bool>. Sent inside the transaction of a
# change to these deals, once they are locked and before they are written; a receiver may
# return a callable, called once they are written (new: they were written already, there
# was nothing before them), still inside the transaction (reports
# keep what they derive from deals exact this way). See pipeline.services.reporting.
deals_changing = Signal()
# sender=Stage, pipeline_id=<int>. Sent inside the transaction that gave a pipeline's stages
# new positions: whatever reports derived from the old order is stale.
stages_reordered = Signal()

# sender=StageChange, opportunity_ids=<frozenset[int]>. Sent inside the transaction that
# rewrote these deals' past stage history (a stage change deleted, history imported): what
# reports keep of ended periods is counted again.
history_rewritten = Signal()

# sender=Touchpoint or Task, ids=<frozenset[int]>, new=<bool>. As deals_changing, for a
# change to these touchpoints or tasks that reports count (see
# pipeline.services.reporting.ACTIVITY_COLUMNS). Deleting them needs no notice: Django's
# pre_delete says so, for cascades too.
activity_changing = Signal()
