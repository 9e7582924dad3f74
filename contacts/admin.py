"""Admin for companies, contacts, leads and the lead rules.

Companies, contacts and leads run to hundreds of thousands of rows, so every relation to
them is an autocomplete field (never a select listing every row) and changelists never
filter on them.
"""

from collections.abc import Sequence

from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contacts.models import (
    Company,
    Contact,
    Lead,
    LeadPolicy,
    QualificationAnswer,
    QualificationCriterion,
    RecordField,
)
from contacts.services import create_lead
from contacts.services.leads import LEAD_DETAILS, rescore_lead


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "industry", "country", "owner", "created_at")
    list_filter = ("country",)
    list_select_related = ("owner",)
    search_fields = ("name", "domain", "external_id")
    date_hierarchy = "created_at"
    autocomplete_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "job_title", "company", "owner")
    list_select_related = ("company", "owner")
    search_fields = ("first_name", "last_name", "email", "company__name", "external_id")
    date_hierarchy = "created_at"
    autocomplete_fields = ("company", "owner")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, contact: Contact) -> str:
        return contact.full_name


class QualificationAnswerInline(admin.TabularInline):
    model = QualificationAnswer
    fields = ("criterion", "is_met", "answered_by", "answered_at")
    readonly_fields = ("answered_by", "answered_at")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[QualificationAnswer]:
        return super().get_queryset(request).select_related("criterion", "answered_by")


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "email",
        "source",
        "status",
        "owner",
        "score",
        "contact_attempts",
        "created_at",
    )
    list_filter = ("status", "source", ("owner", admin.EmptyFieldListFilter))
    list_select_related = ("owner",)
    search_fields = ("last_name", "first_name", "email", "company_name", "external_id")
    date_hierarchy = "created_at"
    autocomplete_fields = ("owner", "converted_company", "converted_contact")
    readonly_fields = ("score", "updated_at")
    inlines = (QualificationAnswerInline,)
    # A new lead is captured like any other (create_lead): checked for duplicates (and
    # flagged, since an admin adding it means it), given an owner by the lead rules, and
    # announced to webhooks. Status, touches and conversion come from what happens to it.
    add_fields = LEAD_DETAILS

    def get_fields(self, request: HttpRequest, obj: Lead | None = None) -> Sequence[str]:
        if obj is None:
            return self.add_fields
        return super().get_fields(request, obj)

    def get_inlines(
        self, request: HttpRequest, obj: Lead | None
    ) -> Sequence[type[InlineModelAdmin]]:
        # Answers go on an existing lead, where saving them rescores it.
        return () if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Lead, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: form.cleaned_data.get(name) for name in self.add_fields}
        created = create_lead(by=request.user, fields=fields, allow_duplicate=True)
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        answers = formset.save(commit=False)
        for answer in answers:
            answer.answered_by = request.user
            answer.save()
        for answer in formset.deleted_objects:
            answer.delete()
        rescore_lead(lead_id=form.instance.pk)


@admin.register(QualificationCriterion)
class QualificationCriterionAdmin(admin.ModelAdmin):
    list_display = ("question", "weight", "position", "is_active")
    list_editable = ("weight", "position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("question",)


@admin.register(QualificationAnswer)
class QualificationAnswerAdmin(admin.ModelAdmin):
    list_display = ("lead", "criterion", "is_met", "answered_by", "answered_at")
    list_filter = ("is_met", "criterion")
    list_select_related = ("lead", "criterion", "answered_by")
    search_fields = ("lead__last_name", "lead__email", "lead__company_name")
    autocomplete_fields = ("lead", "criterion")
    readonly_fields = ("answered_by", "answered_at")

    def save_model(
        self, request: HttpRequest, obj: QualificationAnswer, form: ModelForm, change: bool
    ) -> None:
        obj.answered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(LeadPolicy)
class LeadPolicyAdmin(admin.ModelAdmin):
    """The single row of lead rules: it can be changed, never added twice or deleted."""

    list_display = (
        "__str__",
        "qualification_threshold",
        "max_contact_attempts",
        "days_before_disqualification",
        "assignment_rule",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not LeadPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: LeadPolicy | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: LeadPolicy, form: ModelForm, change: bool
    ) -> None:
        # The table admits only pk=1; a sequence past 1 would otherwise break the insert.
        obj.pk = 1
        super().save_model(request, obj, form, change)


@admin.register(RecordField)
class RecordFieldAdmin(admin.ModelAdmin):
    """Defined and changed in Settings -> Custom fields, whose rules (stable keys, changes
    the stored values allow) the admin's plain forms would skip: looked at here, not edited."""

    list_display = ["label", "record", "key", "kind", "position", "archived_at"]
    list_filter = ["record", "kind"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Records keep values by key: archive a field instead.
        return False
