"""The REST API of the accounts app: users, notifications and the token scheme."""
