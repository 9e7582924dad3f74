"""Quick logging from a lead's, contact's or company's page: a touchpoint in two clicks, a
follow-up.

The form is ``pipeline/_quick_log.html`` (``pipeline/quick_log.py``), a panel of the lead,
contact and company pages. With htmx an endpoint answers with the form again, emptied,
plus the ``activityLogged`` event: the page that embeds the form reloads whatever it shows
about the subject (the lead page its timeline and cadence). Without htmx it redirects back
to the subject's page. Invisible subjects are 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from accounts.models import User
from contacts.models import Company, Contact, Lead
from core.htmx import login_required_for_htmx
from pipeline import services
from pipeline.forms.activity import TaskForm, TouchpointForm
from pipeline.quick_log import quick_log_context
from pipeline.views.deals import LOGGED_MESSAGES

TEMPLATE = "pipeline/_quick_log.html"
SUBJECT_MODELS: dict[str, type[Lead] | type[Contact] | type[Company]] = {
    "lead": Lead,
    "contact": Contact,
    "company": Company,
}


def _back(request: HttpRequest, subject: str, pk: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(f"contacts:{subject}_detail", pk=pk)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _answer(
    request: HttpRequest, subject: str, pk: int, message: str, status: int = 200, **forms: object
) -> HttpResponse:
    context = quick_log_context(request, subject=subject, subject_id=pk, **forms)
    if status == 200:
        context["logged_message"] = message
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    if status == 200:
        trigger_client_event(response, "activityLogged", {"subject": subject, "id": pk})
    return response


def _invalid(request: HttpRequest, subject: str, pk: int, **forms: object) -> HttpResponse:
    if not SUBJECT_MODELS[subject].objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    if not _is_htmx(request):
        for form in forms.values():
            for errors in form.errors.values():  # type: ignore[attr-defined]
                for error in errors:
                    messages.error(request, error)
        return _back(request, subject, pk)
    return _answer(request, subject, pk, "", status=422, **forms)


@login_required_for_htmx
@require_POST
def log_touchpoint(request: HttpRequest, subject: str, pk: int) -> HttpResponse:
    """Log a call, email, meeting or note about a visible lead, contact or company."""
    user = request.user
    assert isinstance(user, User)
    prefix = f"{subject}-{pk}"
    form = TouchpointForm(request.POST, auto_id=f"{prefix}-touchpoint-%s")
    if form.is_valid():
        try:
            touchpoint = services.log_touchpoint(
                by=user, **{f"{subject}_id": pk}, **form.cleaned_data
            )
        except (Lead.DoesNotExist, Contact.DoesNotExist, Company.DoesNotExist):
            raise Http404 from None
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = str(LOGGED_MESSAGES[touchpoint.kind])
            if not _is_htmx(request):
                messages.success(request, message)
                return _back(request, subject, pk)
            return _answer(request, subject, pk, message)
    return _invalid(request, subject, pk, touchpoint_form=form)


@login_required_for_htmx
@require_POST
def add_task(request: HttpRequest, subject: str, pk: int) -> HttpResponse:
    """Schedule a follow-up about a visible lead, contact or company."""
    user = request.user
    assert isinstance(user, User)
    prefix = f"{subject}-{pk}"
    form = TaskForm(request.POST, user=user, auto_id=f"{prefix}-task-%s")
    if form.is_valid():
        try:
            task = services.add_task(by=user, **{f"{subject}_id": pk}, **form.cleaned_data)
        except (Lead.DoesNotExist, Contact.DoesNotExist, Company.DoesNotExist):
            raise Http404 from None
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = _("Follow-up “%(title)s” scheduled.") % {"title": task.title}
            if not _is_htmx(request):
                messages.success(request, message)
                return _back(request, subject, pk)
            return _answer(request, subject, pk, message)
    return _invalid(request, subject, pk, task_form=form)
