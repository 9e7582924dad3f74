from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
]
