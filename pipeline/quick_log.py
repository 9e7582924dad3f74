"""The quick-log form of a lead's, contact's or company's page: a touchpoint in two clicks, a
follow-up.

Pipeline adds it to contacts' lead, contact and company pages as a panel
(``pipeline/record_pages.py``); its endpoints (``pipeline/views/lead_activity.py``) answer
with it again after each post.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token

from accounts.models import User
from pipeline.forms.activity import TaskForm, TouchpointForm


def quick_log_context(
    request: HttpRequest,
    *,
    subject: str,
    subject_id: int,
    touchpoint_form: TouchpointForm | None = None,
    task_form: TaskForm | None = None,
    **extra: object,
) -> dict[str, Any]:
    """What ``pipeline/_quick_log.html`` needs, for the record pages and the endpoints' answers.

    ``subject`` is "lead", "contact" or "company"; the forms are fresh ones unless given
    (bound, with their errors).
    """
    user = request.user
    assert isinstance(user, User), "quick logging is for signed-in users"
    prefix = f"{subject}-{subject_id}"
    return {
        "request": request,
        "user": user,
        "csrf_token": get_token(request),
        "subject": subject,
        "subject_id": subject_id,
        "prefix": prefix,
        "touchpoint_form": touchpoint_form
        or TouchpointForm(auto_id=f"{prefix}-touchpoint-%s", initial={"kind": ""}),
        "task_form": task_form or TaskForm(user=user, auto_id=f"{prefix}-task-%s"),
        **extra,
    }
