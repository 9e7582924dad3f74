"""A real HTTP receiver on 127.0.0.1 and webhooks pointing at it.

The receiver runs in a thread of the test process on an ephemeral port, records every
request it gets (headers and exact body bytes) and answers with the statuses a test queues.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from crm.celery import app
from crm.webhooks import services
from crm.webhooks.models import SUBSCRIBABLE_EVENTS, Webhook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    redirect_to: str = ""

    def answer_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then with 200."""
        self.statuses.extend(statuses)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.redirect_to)
            reply = b'{"received": true}' if status < 400 else b"receiver says no"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/crm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def private_hosts_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in the calling thread (retries too, without their countdown)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Delivery ids handed to Celery, instead of running them."""
    sent: list[int] = []
    monkeypatch.setattr(services, "deliver_webhook", SimpleNamespace(delay=sent.append))
    return sent


def make_webhook(url: str, events: list[str] | None = None, **fields: object) -> Webhook:
    return Webhook.objects.create(
        url=url, events=list(SUBSCRIBABLE_EVENTS) if events is None else events, **fields
    )
