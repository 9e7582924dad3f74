"""User names for people who arrive without one: from an e-mail address or a full name.

A Django user name holds letters, digits and ``@ . + - _`` only, at most 150 characters, so
"Anna Example" becomes ``anna.example``. Names are compared case-insensitively: two
accounts that differ only in case would be a trap at the login form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from accounts.models import User

MAX_LENGTH = User._meta.get_field("username").max_length or 150
_NOT_ALLOWED = re.compile(r"[^\w.@+-]+")


def valid_username(value: str) -> str:
    """``value`` with spaces and other characters a user name may not hold turned into dots."""
    text = unicodedata.normalize("NFKC", value).strip()
    text = _NOT_ALLOWED.sub(".", text).strip(".")
    return re.sub(r"\.{2,}", ".", text)[:MAX_LENGTH]


def username_base(*, email: str = "", name: str = "") -> str:
    """What a new user's name is made from: the e-mail's local part, else the full name."""
    local_part = email.rpartition("@")[0] if "@" in email else ""
    return valid_username(local_part or name).lower()


class UsernameAllocator:
    """Hands out user names nobody has, adding 2, 3, … to a taken one.

    ``taken``: every user name in use (users are few, so they are read once, not per name).
    """

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = {name.casefold() for name in taken}

    def allocate(self, base: str, *, fallback: str = "user") -> str:
        base = base or fallback
        candidate = base
        number = 1
        while candidate.casefold() in self.taken:
            number += 1
            suffix = str(number)
            candidate = base[: MAX_LENGTH - len(suffix)] + suffix
        self.taken.add(candidate.casefold())
        return candidate

    def claim(self, username: str) -> None:
        """Mark a name given in a file as used, so no generated name takes it."""
        self.taken.add(username.casefold())

    def is_taken(self, username: str) -> bool:
        return username.casefold() in self.taken
