from django.contrib import admin
from django.urls import include, path

from crm import views

# "home" and the auth views keep the global names that LOGIN_URL, LOGIN_REDIRECT_URL and
# LOGOUT_REDIRECT_URL in settings refer to; the apps' pages live in their namespaces.
crm_patterns = (
    [path("settings/", views.SettingsView.as_view(), name="settings")],
    "crm",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include(crm_patterns)),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("contacts.urls")),
    path("", include("pipeline.urls")),
    path("", include("forecasting.urls")),
    path("imports/", include("crm.imports.urls")),
    path("settings/webhooks/", include("crm.webhooks.urls")),
    path("api/", include("crm.api")),
    path("admin/", admin.site.urls),
]

# Paths under /api/ that match no route answer JSON, as the API's own 404s do.
handler404 = "crm.api.not_found"
