"""``{% quick_log lead=lead %}`` / ``{% quick_log contact=contact %}``: log a touchpoint or
schedule a follow-up from any page about a lead or contact.

Pages of the contacts app embed it through the template language, so that their Python
code never imports the pipeline app (which depends on contacts, not the reverse).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token

from contacts.models import Contact, Lead
from pipeline.forms import TaskForm, TouchpointForm

register = template.Library()


@register.inclusion_tag("pipeline/_quick_log.html", takes_context=True)
def quick_log(
    context: template.Context, lead: Lead | None = None, contact: Contact | None = None
) -> dict[str, Any]:
    subject = "lead" if lead is not None else "contact"
    return quick_log_context(
        context["request"],
        subject=subject,
        subject_id=(lead or contact).pk,  # type: ignore[union-attr]
    )


def quick_log_context(
    request: Any,
    *,
    subject: str,
    subject_id: int,
    touchpoint_form: TouchpointForm | None = None,
    task_form: TaskForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What ``pipeline/_quick_log.html`` needs, for the tag and for the endpoints' answers."""
    prefix = f"{subject}-{subject_id}"
    return {
        "request": request,
        "user": request.user,
        "csrf_token": get_token(request),
        "subject": subject,
        "subject_id": subject_id,
        "prefix": prefix,
        "touchpoint_form": touchpoint_form
        or TouchpointForm(auto_id=f"{prefix}-touchpoint-%s", initial={"kind": ""}),
        "task_form": task_form or TaskForm(user=request.user, auto_id=f"{prefix}-task-%s"),
        **extra,
    }
