"""The database itself refuses invalid webhook deliveries."""

import pytest

from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from tests.constraints import constraints_without_refusal_test, refused_by
from tests.webhooks.conftest import make_webhook


def deliver(status: str = DeliveryStatus.PENDING) -> WebhookDelivery:
    webhook = make_webhook("https://hooks.example.com/crm")
    return WebhookDelivery.objects.create(
        webhook=webhook, event=WebhookEvent.PING, payload={"event": "ping"}, status=status
    )


def test_every_webhooks_constraint_has_a_refusal_test():
    assert constraints_without_refusal_test("webhooks", __file__) == []


# WebhookDelivery


@pytest.mark.django_db
def test_unknown_delivery_status_is_refused():
    with refused_by("delivery_status_valid"):
        deliver(status="bounced")


@pytest.mark.django_db
@pytest.mark.parametrize("status", DeliveryStatus.values)
def test_every_delivery_status_is_accepted(status):
    delivery = deliver(status=status)

    assert WebhookDelivery.objects.get(pk=delivery.pk).status == status
