"""Creating, editing and merging contacts; the email check behind the form's inline warning.

A new contact is created at a company: from the company's page (``?company=<pk>``), or
after picking one on the form. The form checks its email as it is typed (htmx): an email
the company already has is an error on the field, the same email at other visible
companies a warning with links. A contact the user cannot see is a 404 everywhere; one
they can see but not change is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from accounts.models import User
from contacts.forms.people import ContactForm
from contacts.models import Company, Contact
from contacts.services.people import (
    EMAIL_TAKEN_MESSAGE,
    create_contact,
    email_taken,
    merge_contacts,
    update_contact,
    visible_email_twins,
)
from core.editing import with_can_edit
from core.lists import search_q

TEMPLATE = "contacts/contact_form.html"
MERGE_TEMPLATE = "contacts/contact_merge.html"
# Companies the picker offers for one search; more words narrow it.
COMPANY_CHOICES = 20
MERGE_CANDIDATES = 100


def acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def editable_or_403(queryset: QuerySet, user: User, pk: int) -> Any:
    """The visible record ``pk`` (else 404), if ``user`` may change it (else 403)."""
    record = get_object_or_404(with_can_edit(queryset.visible_to(user), user), pk=pk)
    if not record.can_edit:
        raise PermissionDenied(_("Only the owner or their manager may change this."))
    return record


def visible_or_none(model: type[Model], user: User, value: object) -> Any:
    """The record of ``model`` with primary key ``value`` if ``user`` can see it, else None."""
    text = str(value or "")
    if not text.isdigit():
        return None
    return model.objects.visible_to(user).filter(pk=int(text)).first()  # type: ignore[attr-defined]


def _email_context(
    user: User, email: str, company_id: int | None, exclude_pk: int | None
) -> dict[str, Any]:
    """What the email field shows besides its value: an error, or twins elsewhere."""
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            return {"email_errors": error.messages, "email_twins": []}
    errors = []
    if company_id is not None and email_taken(company_id, email, exclude_pk=exclude_pk):
        errors.append(str(EMAIL_TAKEN_MESSAGE))
    twins = [
        twin
        for twin in visible_email_twins(user, email, exclude_pk=exclude_pk)
        if twin.company_id != company_id
    ]
    return {"email_errors": errors, "email_twins": twins}


def _render_form(
    request: HttpRequest, form: ContactForm, *, company: Company, contact: Contact | None
) -> TemplateResponse:
    email = str(form["email"].value() or "")
    context: dict[str, Any] = {"form": form, "company": company, "contact": contact}
    context.update(email_errors=form.errors.get("email", []), email_value=email, email_twins=[])
    if email and "email" not in form.errors:
        twins = visible_email_twins(
            acting_user(request), email, exclude_pk=getattr(contact, "pk", None)
        )
        context["email_twins"] = [twin for twin in twins if twin.company_id != company.pk]
    status = 422 if form.is_bound and form.errors else 200
    return TemplateResponse(request, TEMPLATE, context, status=status)


class ContactCreateView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = acting_user(request)
        company = visible_or_none(Company, user, request.GET.get("company"))
        if company is None:
            return self._pick_company(request, user)
        return _render_form(request, ContactForm(user=user), company=company, contact=None)

    def _pick_company(self, request: HttpRequest, user: User) -> HttpResponse:
        terms = request.GET.get("company_q", "").strip()[:100]
        choices: list[Company] = []
        if terms:
            choices = list(
                Company.objects.visible_to(user)
                .filter(search_q(terms, ("name", "domain")))
                .order_by("name", "pk")[:COMPANY_CHOICES]
            )
        context = {"company": None, "company_q": terms, "company_choices": choices}
        return TemplateResponse(request, TEMPLATE, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = acting_user(request)
        company = visible_or_none(Company, user, request.POST.get("company"))
        if company is None:
            raise Http404
        form = ContactForm(request.POST, user=user)
        if form.is_valid():
            try:
                contact = create_contact(by=user, fields={**form.cleaned_data, "company": company})
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Contact %(name)s added.") % {"name": contact})
                return redirect("contacts:contact_detail", pk=contact.pk)
        return _render_form(request, form, company=company, contact=None)


class ContactEditView(LoginRequiredMixin, View):
    def _contact(self, request: HttpRequest, pk: int) -> Contact:
        contacts = Contact.objects.select_related("company", "owner")
        return editable_or_403(contacts, acting_user(request), pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self._contact(request, pk)
        form = ContactForm.for_contact(contact, user=acting_user(request))
        return _render_form(request, form, company=contact.company, contact=contact)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = acting_user(request)
        contact = self._contact(request, pk)
        form = ContactForm(request.POST, user=user, current_owner=contact.owner)
        if form.is_valid():
            try:
                update_contact(by=user, contact_id=contact.pk, fields=form.cleaned_data)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("Contact saved."))
                return redirect("contacts:contact_detail", pk=contact.pk)
        return _render_form(request, form, company=contact.company, contact=contact)


class ContactEmailCheckView(LoginRequiredMixin, View):
    """The email field again, with its error or duplicate warning: htmx swaps it in place."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = acting_user(request)
        company = visible_or_none(Company, user, request.GET.get("company"))
        contact = visible_or_none(Contact, user, request.GET.get("contact"))
        email = request.GET.get("email", "")[:254]
        context = _email_context(
            user,
            email,
            company.pk if company is not None else None,
            contact.pk if contact is not None else None,
        )
        context["email_value"] = email
        return TemplateResponse(request, f"{TEMPLATE}#email-field", context)


class RecordMergeView(LoginRequiredMixin, View):
    """The merge page of companies and contacts: pick a duplicate, compare, merge it in.

    A subclass finds the record and the candidates to offer (``merge_context``, with keys
    ``candidates`` and ``other``, the chosen one or None) and names its ``merge`` service.
    """

    model: type[Company] | type[Contact]
    template_name: str
    detail_url_name: str
    choose_message: str

    def merge_context(self, request: HttpRequest, pk: int, other_pk: object) -> dict[str, Any]:
        raise NotImplementedError

    def merge(self, *, by: User, keep_id: int, merge_id: int) -> Company | Contact:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        context = self.merge_context(request, pk, request.GET.get("other"))
        return TemplateResponse(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = acting_user(request)
        context = self.merge_context(request, pk, request.POST.get("other", ""))
        if context["other"] is None:
            context["error"] = str(self.choose_message)
            return TemplateResponse(request, self.template_name, context, status=422)
        try:
            keep = self.merge(by=user, keep_id=pk, merge_id=context["other"].pk)
        except self.model.DoesNotExist:
            # Merged or deleted by someone else since the page was read.
            raise Http404 from None
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            return TemplateResponse(request, self.template_name, context, status=422)
        messages.success(
            request,
            _("%(merged)s was merged into %(kept)s.") % {"merged": context["other"], "kept": keep},
        )
        return redirect(self.detail_url_name, pk=keep.pk)


class ContactMergeView(RecordMergeView):
    """Pick a contact of the same company, compare the two, and merge it into this one."""

    model = Contact
    template_name = MERGE_TEMPLATE
    detail_url_name = "contacts:contact_detail"
    choose_message = gettext_lazy("Choose the contact to merge into this one.")

    def merge(self, *, by: User, keep_id: int, merge_id: int) -> Contact:
        return merge_contacts(by=by, keep_id=keep_id, merge_id=merge_id)

    def merge_context(self, request: HttpRequest, pk: int, other_pk: object) -> dict[str, Any]:
        user = acting_user(request)
        contact = editable_or_403(Contact.objects.select_related("company"), user, pk)
        candidates = list(
            Contact.objects.editable_by(user)
            .filter(company_id=contact.company_id)
            .exclude(pk=contact.pk)
            .order_by("last_name", "first_name", "pk")[:MERGE_CANDIDATES]
        )
        other = next((c for c in candidates if str(c.pk) == str(other_pk or "")), None)
        return {"contact": contact, "candidates": candidates, "other": other}
