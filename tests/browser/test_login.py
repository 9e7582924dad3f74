"""Signing in through the real login page, in headless Chromium against the live server."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets
LOGIN_PATH = "/accounts/login/"


def submit_login(page: Page, base_url: str, *, username: str, password: str) -> None:
    page.goto(base_url + LOGIN_PATH)
    form = page.locator("form").filter(has=page.locator("input[name='password']"))
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    # Until the page the form answers with has loaded (the same address when refused): a
    # load state alone may still be the login page's own, before the answer has come.
    with page.expect_navigation():
        form.locator("[type='submit']").first.click()


def test_user_signs_in_and_leaves_the_login_page(page: Page, live_server, screenshot):
    user = UserFactory(username="alice", first_name="Alice", last_name="Archer")

    submit_login(page, live_server.url, username=user.username, password=PASSWORD)

    expect(page).not_to_have_url(re.compile(re.escape(LOGIN_PATH)))
    logout = page.get_by_role("button", name=re.compile(r"log\s*out|sign\s*out", re.IGNORECASE))
    signed_in_as = page.get_by_text(re.compile(r"\bAlice\b|\balice\b"))
    expect(logout.or_(signed_in_as).first).to_be_visible()
    screenshot("signed-in")


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page: Page, live_server):
    user = UserFactory(username="bob")

    submit_login(page, live_server.url, username=user.username, password="wrong-password")

    expect(page).to_have_url(re.compile(re.escape(LOGIN_PATH)))
    error = page.get_by_text(re.compile("correct username and password", re.IGNORECASE))
    expect(error).to_be_visible()
    expect(page.locator("input[name='password']")).to_be_visible()
