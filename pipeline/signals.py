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
