from django.urls import path

from contacts.views import company_edit, contact_edit, lead_actions, lead_settings, record_search
from contacts.views.companies import CompanyListView
from contacts.views.company_detail import CompanyDetailView
from contacts.views.contact_detail import ContactDetailView
from contacts.views.lead_detail import LeadDetailView
from contacts.views.lead_edit import LeadCreateView, LeadEditView
from contacts.views.leads import LeadListView
from contacts.views.people import ContactListView

app_name = "contacts"

urlpatterns = [
    path("leads/", LeadListView.as_view(), name="lead_list"),
    path("leads/export.csv", LeadListView.as_view(export=True), name="lead_export"),
    path("leads/new/", LeadCreateView.as_view(), name="lead_create"),
    path("leads/<int:pk>/", LeadDetailView.as_view(), name="lead_detail"),
    path("leads/<int:pk>/edit/", LeadEditView.as_view(), name="lead_edit"),
    path("leads/<int:pk>/answers/", lead_actions.answer, name="lead_answer"),
    path("leads/<int:pk>/disqualify/", lead_actions.disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/assign/", lead_actions.assign, name="lead_assign"),
    path("leads/<int:pk>/merge/", lead_actions.merge, name="lead_merge"),
    path(
        "leads/<int:pk>/not-a-duplicate/",
        lead_actions.clear_duplicate,
        name="lead_clear_duplicate",
    ),
    # Lead rules (admins).
    path("settings/leads/", lead_settings.LeadSettingsView.as_view(), name="lead_settings"),
    path(
        "settings/leads/criteria/",
        lead_settings.AddCriterionView.as_view(),
        name="lead_settings_add_criterion",
    ),
    path(
        "settings/leads/criteria/<int:pk>/",
        lead_settings.EditCriterionView.as_view(),
        name="lead_settings_criterion",
    ),
    path(
        "settings/leads/criteria/<int:pk>/move/",
        lead_settings.MoveCriterionView.as_view(),
        name="lead_settings_move_criterion",
    ),
    path(
        "settings/leads/territories/",
        lead_settings.AddTerritoryView.as_view(),
        name="lead_settings_add_territory",
    ),
    path(
        "settings/leads/territories/<int:pk>/delete/",
        lead_settings.DeleteTerritoryView.as_view(),
        name="lead_settings_delete_territory",
    ),
    # What company and contact pickers offer as the user types (contacts/pickers.py).
    path("companies/search/", record_search.company_search, name="company_search"),
    path("contacts/search/", record_search.contact_search, name="contact_search"),
    path("contacts/", ContactListView.as_view(), name="contact_list"),
    path("contacts/export.csv", ContactListView.as_view(export=True), name="contact_export"),
    path("contacts/new/", contact_edit.ContactCreateView.as_view(), name="contact_create"),
    path(
        "contacts/email-check/",
        contact_edit.ContactEmailCheckView.as_view(),
        name="contact_check_email",
    ),
    path("contacts/<int:pk>/", ContactDetailView.as_view(), name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_edit.ContactEditView.as_view(), name="contact_edit"),
    path("contacts/<int:pk>/merge/", contact_edit.ContactMergeView.as_view(), name="contact_merge"),
    path("companies/", CompanyListView.as_view(), name="company_list"),
    path("companies/export.csv", CompanyListView.as_view(export=True), name="company_export"),
    path("companies/new/", company_edit.CompanyCreateView.as_view(), name="company_create"),
    path(
        "companies/domain-check/",
        company_edit.CompanyDomainCheckView.as_view(),
        name="company_check_domain",
    ),
    path("companies/<int:pk>/", CompanyDetailView.as_view(), name="company_detail"),
    path("companies/<int:pk>/edit/", company_edit.CompanyEditView.as_view(), name="company_edit"),
    path(
        "companies/<int:pk>/merge/", company_edit.CompanyMergeView.as_view(), name="company_merge"
    ),
]
