"""The interactive API docs in headless Chromium: Swagger UI under the strict CSP.

The page loads vendored Swagger UI and starts it from static/js/api-docs.js; "Try it out"
calls the API with the browser's session, and sends the CSRF token on unsafe methods.
"""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import Notification, NotificationKind
from tests.browser.test_login import PASSWORD, submit_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def try_it_out(page: Page, method: str, path: str) -> None:
    block = page.locator(f".opblock-{method}").filter(
        has=page.locator(".opblock-summary-path", has_text=re.compile(f"^{re.escape(path)}$"))
    )
    block.first.locator(".opblock-summary").first.click()
    block.first.get_by_role("button", name="Try it out").click()
    block.first.get_by_role("button", name="Execute").click()


def test_docs_render_every_operation_without_csp_violations(page: Page, live_server, screenshot):
    user = UserFactory(username="alice", role="rep")
    Notification.objects.create(
        recipient=user, kind=NotificationKind.STALE_DEAL, message="m", dedupe_key="k"
    )
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    submit_login(page, live_server.url, username=user.username, password=PASSWORD)

    page.goto(live_server.url + "/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Pipeline CRM API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/opportunities/{id}/move/")
    ).to_be_visible()
    page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 40")

    try_it_out(page, "get", "/api/users/me/")
    me = page.locator(".opblock").filter(has_text="/api/users/me/").first
    expect(me.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(me.locator(".live-responses-table")).to_contain_text('"username": "alice"')

    try_it_out(page, "post", "/api/notifications/read-all/")
    read_all = page.locator(".opblock").filter(has_text="/api/notifications/read-all/").first
    # 200, not 403: the session's CSRF token went along with the POST.
    expect(read_all.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200"
    )
    screenshot("api-docs")

    violations = [message.text for message in console if "Content Security Policy" in message.text]
    assert violations == []
    assert Notification.objects.get().read_at is not None
