from django.urls import path

from contacts.views.companies import CompanyListView
from contacts.views.leads import LeadListView
from contacts.views.people import ContactListView

app_name = "contacts"

urlpatterns = [
    path("leads/", LeadListView.as_view(), name="lead_list"),
    path("leads/export.csv", LeadListView.as_view(export=True), name="lead_export"),
    path("contacts/", ContactListView.as_view(), name="contact_list"),
    path("contacts/export.csv", ContactListView.as_view(export=True), name="contact_export"),
    path("companies/", CompanyListView.as_view(), name="company_list"),
]
