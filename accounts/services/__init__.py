"""Writes of the accounts app: notifications, a user's own profile, personal API tokens."""
