from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

# No app_name: settings.LOGIN_URL and LOGOUT_REDIRECT_URL refer to these by Django's
# conventional global names.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's LogoutView accepts POST only, so a link or image cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
