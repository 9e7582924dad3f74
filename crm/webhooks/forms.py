"""The webhook form of the settings pages; the rules live in ``crm.webhooks.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import StyledForm
from crm.webhooks.models import SUBSCRIBABLE_EVENTS, Webhook
from crm.webhooks.services import URL_MAX_LENGTH


class WebhookForm(StyledForm):
    describes_help_text = True

    url = forms.CharField(
        label=_("Payload URL"),
        max_length=URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/crm"}),
        help_text=_("Events are POSTed here as JSON, signed with the webhook's secret."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=Webhook._meta.get_field("description").max_length,
        required=False,
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(event.value, event.label) for event in SUBSCRIBABLE_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        # The service says "choose at least one event", naming the field like this form.
        required=False,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_webhook(cls, webhook: Webhook, data: Any = None) -> WebhookForm:
        initial = {
            "url": webhook.url,
            "description": webhook.description,
            "events": webhook.events,
            "is_active": webhook.is_active,
        }
        return cls(data, initial=initial)

    def service_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
