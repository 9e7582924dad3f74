"""Sending one delivery: the signed POST, and what its answer means.

The body is the delivery's payload as compact JSON with sorted keys. The signature is the
HMAC-SHA256, with the webhook's secret, of the ``X-Pipeline-Timestamp`` value, a dot and
exactly those body bytes, so a receiver verifies what it received without re-serialising
anything, and a delivery captured on the way cannot be replayed later with a fresh
timestamp: the receiver rejects old timestamps, and a new one breaks the signature.
Redirects are not followed: a redirect could lead to an address the target check would
have refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from crm.webhooks.targets import Target, TargetRefused, resolve

USER_AGENT = "PipelineCRM-Webhooks/1"
SIGNATURE_HEADER = "X-Pipeline-Signature"
TIMESTAMP_HEADER = "X-Pipeline-Timestamp"


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC of ``timestamp + "." + body`` with the webhook's secret."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    """The outcome of one attempt: a response (``status_code``) or an ``error``."""

    status_code: int | None = None
    body: str = ""
    error: str = ""
    # Without a response: whether the failure may pass (a network error) or not (a refusal).
    is_network_error: bool = True

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def is_transient(self) -> bool:
        """Worth retrying: the network failed, the receiver erred or asked us to slow down."""
        if self.status_code is None:
            return self.is_network_error
        return self.status_code >= 500 or self.status_code == 429


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        # The certificate is checked against the host name, as for any https request.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(delivery: WebhookDelivery) -> Answer:
    """POST the delivery to its webhook once; never raises for network trouble."""
    webhook = delivery.webhook
    body = body_of(delivery.payload)
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Pipeline-Event": delivery.event,
        "X-Pipeline-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(webhook.secret, timestamp, body),
    }
    timeout = settings.WEBHOOK_TIMEOUT
    try:
        target = resolve(webhook.url)
    except TargetRefused as error:
        return Answer(error=str(error), is_network_error=error.is_transient)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(WebhookDelivery.RESPONSE_EXCERPT_LENGTH)
    except (OSError, http.client.HTTPException) as error:
        return Answer(error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    return Answer(status_code=response.status, body=excerpt.decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Attempt:
    """What became of an attempt; ``retry_in`` seconds when another one should follow."""

    status: str
    retry_in: int | None = None


def backoff(attempt: int) -> int:
    """Seconds before the next attempt: 30 s, 2 min, 8 min, 32 min, about 2 h, ..."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempt - 1), 6 * 60 * 60)


def attempt_delivery(*, delivery_id: int, attempt: int, is_last: bool) -> Attempt:
    """Send a pending delivery once and record the outcome on it.

    ``attempt`` counts from 1 within this run of retries, ``is_last`` says no retry may
    follow. A delivery that is no longer pending (a worker re-running a task whose first
    run got through) is left alone, and so is one deleted with its webhook meanwhile. No
    transaction is held open during the request.
    """
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        return Attempt(status="deleted")
    if delivery.status != DeliveryStatus.PENDING:
        return Attempt(status=delivery.status)
    if not delivery.webhook.is_active and delivery.event != WebhookEvent.PING:
        answer = Answer(
            error=_("The webhook was deactivated before this delivery was sent."),
            is_network_error=False,
        )
        retry_in = None
    else:
        answer = post(delivery)
        retry_in = backoff(attempt) if answer.is_transient and not is_last else None
    now = timezone.now()
    if answer.succeeded:
        status = DeliveryStatus.SUCCEEDED
    elif retry_in is not None:
        status = DeliveryStatus.PENDING
    else:
        status = DeliveryStatus.FAILED
    error = answer.error
    if answer.status_code is not None and 300 <= answer.status_code < 400:
        error = _("The receiver answered with a redirect; deliveries do not follow redirects.")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        response_status_code=answer.status_code,
        response_body=answer.body,
        error=error,
        delivered_at=now if answer.succeeded else None,
        next_attempt_at=now + dt.timedelta(seconds=retry_in) if retry_in is not None else None,
    )
    return Attempt(status=status, retry_in=retry_in)
