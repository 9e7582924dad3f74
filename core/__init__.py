"""Shared plumbing that knows no app: every app may import it, it imports none of them.

htmx-aware login, the list-page framework, CSV downloads, form-error marking, admin-only
views, merging, the REST API's pagination, errors and fields, ISO currency and country data.
"""
