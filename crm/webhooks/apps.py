from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "crm.webhooks"
    label = "webhooks"
    verbose_name = _("Outgoing webhooks")

    def ready(self) -> None:
        from contacts.signals import lead_created
        from crm.webhooks import receivers
        from pipeline.signals import opportunity_lost, opportunity_moved, opportunity_won

        # dispatch_uid: connected once even if ready() runs twice (the test runner may).
        opportunity_moved.connect(receivers.on_opportunity_moved, dispatch_uid="webhooks.moved")
        opportunity_won.connect(receivers.on_opportunity_won, dispatch_uid="webhooks.won")
        opportunity_lost.connect(receivers.on_opportunity_lost, dispatch_uid="webhooks.lost")
        lead_created.connect(receivers.on_lead_created, dispatch_uid="webhooks.lead_created")
