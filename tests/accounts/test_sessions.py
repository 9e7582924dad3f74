"""A forged session cookie is an anonymous visitor, never a server error."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("key", ["abc\x00defghijklmnop", "ümlautsümlautsümlauts", "a' OR '1'='1"])
def test_a_malformed_session_cookie_is_treated_as_signed_out(client, db, key):
    client.cookies["sessionid"] = key

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_real_session_still_signs_in(client, alice):
    client.force_login(alice)

    assert client.get(reverse("home")).status_code == 200
