"""The accounts pages: signing in, notifications, and the profile with its API tokens."""
