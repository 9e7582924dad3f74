from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import notifications, profile, sign_in

# No app_name: settings.LOGIN_URL and LOGOUT_REDIRECT_URL refer to these by Django's
# conventional global names.
urlpatterns = [
    path("login/", sign_in.LoginView.as_view(), name="login"),
    # Django's LogoutView accepts POST only, so a link or image cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten passwords: ask for a link, follow it, choose a new password.
    path("password-reset/", sign_in.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        sign_in.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.notification_bell, name="notification_bell"),
    path("notifications/<int:pk>/read/", notifications.mark_read, name="notification_read"),
    path("notifications/read/", notifications.mark_all_read, name="notifications_read"),
    path("profile/", profile.profile, name="profile"),
    path("profile/tokens/", profile.create_token, name="create_api_token"),
    path("profile/tokens/<int:pk>/revoke/", profile.revoke_token, name="revoke_api_token"),
]
