"""Database sessions that refuse malformed session keys before they reach the database.

Django's own keys are 32 lowercase letters and digits, but the store passes whatever the
cookie holds to a query; a cookie with a NUL byte makes PostgreSQL raise and the page
answer 500. A key that Django could never have issued is treated as no session at all.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(key) and key.isascii() and key.isalnum() and super()._validate_session_key(key)
