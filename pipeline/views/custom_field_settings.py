"""Custom field settings, for admins: the fields of deals, companies, contacts and leads.

Plain forms and links (POST, then a redirect), one page per kind of record with its
fields in order and a form to add one; an edit page per field. Invalid input answers 422
with the form and its errors. The rules live in the services: ``pipeline.services.
custom_fields`` for deals, ``contacts.services.custom_fields`` for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import RecordKind
from contacts.services import custom_fields as record_services
from core.custom_fields.models import CustomFieldDefinition
from core.forms import add_service_errors
from core.views import AdminView
from pipeline.forms.custom_fields import FieldDefinitionForm
from pipeline.services import custom_fields as deal_services

TEMPLATE = "pipeline/settings/custom_fields.html"
EDIT_TEMPLATE = "pipeline/settings/custom_field_edit.html"
UNPROCESSABLE = 422
DEAL = "deal"


@dataclass(frozen=True)
class RecordTab:
    record: str
    label: Promise

    @property
    def is_deal(self) -> bool:
        return self.record == DEAL


TABS = [
    RecordTab(DEAL, gettext_lazy("Deals")),
    RecordTab(RecordKind.COMPANY, RecordKind.COMPANY.label),
    RecordTab(RecordKind.CONTACT, RecordKind.CONTACT.label),
    RecordTab(RecordKind.LEAD, RecordKind.LEAD.label),
]
_TAB_BY_RECORD = {tab.record: tab for tab in TABS}


def _tab(record: str) -> RecordTab:
    if record not in _TAB_BY_RECORD:
        raise Http404
    return _TAB_BY_RECORD[record]


def _definitions(tab: RecordTab) -> Any:
    if tab.is_deal:
        return deal_services.deal_fields().select_related("required_from_stage__pipeline")
    return record_services.record_fields(tab.record)


def _definition(tab: RecordTab, pk: int) -> CustomFieldDefinition:
    return get_object_or_404(_definitions(tab), pk=pk)


def list_url(record: str) -> str:
    return reverse("pipeline:custom_field_settings", args=[record])


class CustomFieldListView(AdminView):
    """One kind of record's fields, in order, and the form to add one."""

    def get(self, request: Any, record: str) -> HttpResponse:
        tab = _tab(record)
        return self._page(tab, FieldDefinitionForm(for_deals=tab.is_deal, auto_id="new-%s"))

    def post(self, request: Any, record: str) -> HttpResponse:
        tab = _tab(record)
        form = FieldDefinitionForm(request.POST, for_deals=tab.is_deal, auto_id="new-%s")
        if form.is_valid():
            try:
                if tab.is_deal:
                    definition: CustomFieldDefinition = deal_services.define_deal_field(
                        by=request.user,
                        spec=form.spec(),
                        required_from_stage=form.cleaned_data.get("required_from_stage"),
                    )
                else:
                    definition = record_services.define_record_field(
                        by=request.user, record=tab.record, spec=form.spec()
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Field “%(label)s” added (key %(key)s).")
                    % {"label": definition.label, "key": definition.key},
                )
                return HttpResponseRedirect(list_url(tab.record))
        return self._page(tab, form, status=UNPROCESSABLE)

    def _page(self, tab: RecordTab, form: FieldDefinitionForm, status: int = 200) -> HttpResponse:
        definitions = list(_definitions(tab))
        active = [d for d in definitions if not d.is_archived]
        for index, definition in enumerate(active):
            definition.can_move_up = index > 0  # type: ignore[attr-defined]
            definition.can_move_down = index < len(active) - 1  # type: ignore[attr-defined]
        context = {
            "tabs": TABS,
            "tab": tab,
            "active_fields": active,
            "archived_fields": [d for d in definitions if d.is_archived],
            "form": form,
        }
        return render(self.request, TEMPLATE, context, status=status)


class CustomFieldEditView(AdminView):
    """Change one field's label, kind, help text, choices or required-from stage."""

    def get(self, request: Any, record: str, pk: int) -> HttpResponse:
        tab = _tab(record)
        definition = _definition(tab, pk)
        form = FieldDefinitionForm(for_deals=tab.is_deal, definition=definition)
        return self._page(tab, definition, form)

    def post(self, request: Any, record: str, pk: int) -> HttpResponse:
        tab = _tab(record)
        definition = _definition(tab, pk)
        form = FieldDefinitionForm(request.POST, for_deals=tab.is_deal, definition=definition)
        if form.is_valid():
            try:
                if tab.is_deal:
                    deal_services.change_deal_field(
                        by=request.user,
                        field_id=definition.pk,
                        spec=form.spec(),
                        required_from_stage=form.cleaned_data.get("required_from_stage"),
                    )
                else:
                    record_services.change_record_field(
                        by=request.user, field_id=definition.pk, spec=form.spec()
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Field “%(label)s” saved.") % {"label": form.spec().label}
                )
                return HttpResponseRedirect(list_url(tab.record))
        return self._page(tab, definition, form, status=UNPROCESSABLE)

    def _page(
        self,
        tab: RecordTab,
        definition: CustomFieldDefinition,
        form: FieldDefinitionForm,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "tab": tab,
            "definition": definition,
            "form": form,
            "list_url": list_url(tab.record),
        }
        return render(self.request, EDIT_TEMPLATE, context, status=status)


class ArchiveCustomFieldView(AdminView):
    """Archive a field (``archived=1``: hidden, values kept) or restore it."""

    def post(self, request: Any, record: str, pk: int) -> HttpResponse:
        tab = _tab(record)
        definition = _definition(tab, pk)
        archived = request.POST.get("archived") == "1"
        if tab.is_deal:
            deal_services.archive_deal_field(
                by=request.user, field_id=definition.pk, archived=archived
            )
        else:
            record_services.archive_record_field(
                by=request.user, field_id=definition.pk, archived=archived
            )
        message = _("Field “%(label)s” archived.") if archived else _("Field “%(label)s” restored.")
        messages.success(request, message % {"label": definition.label})
        return HttpResponseRedirect(list_url(tab.record))


class ReorderCustomFieldsView(AdminView):
    """Move the posted ``key`` one place ``up`` or ``down`` (``direction``) among the active
    fields; archived ones keep their places after them."""

    def post(self, request: Any, record: str) -> HttpResponse:
        tab = _tab(record)
        definitions = list(_definitions(tab))
        active = [d.key for d in definitions if not d.is_archived]
        archived = [d.key for d in definitions if d.is_archived]
        key, step = request.POST.get("key", ""), -1 if request.POST.get("direction") == "up" else 1
        if key not in active or not 0 <= active.index(key) + step < len(active):
            messages.error(request, _("That field cannot move further."))
            return HttpResponseRedirect(list_url(tab.record))
        index = active.index(key)
        active[index], active[index + step] = active[index + step], active[index]
        if tab.is_deal:
            deal_services.reorder_deal_fields(by=request.user, keys=[*active, *archived])
        else:
            record_services.reorder_record_fields(
                by=request.user, record=tab.record, keys=[*active, *archived]
            )
        return HttpResponseRedirect(list_url(tab.record))
