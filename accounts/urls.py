from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import notification_views, profile_views, views

# No app_name: settings.LOGIN_URL and LOGOUT_REDIRECT_URL refer to these by Django's
# conventional global names.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Django's LogoutView accepts POST only, so a link or image cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgotten passwords: ask for a link, follow it, choose a new password.
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/bell/", notification_views.notification_bell, name="notification_bell"),
    path("notifications/<int:pk>/read/", notification_views.mark_read, name="notification_read"),
    path("notifications/read/", notification_views.mark_all_read, name="notifications_read"),
    path("profile/", profile_views.profile, name="profile"),
    path("profile/tokens/", profile_views.create_token, name="create_api_token"),
    path("profile/tokens/<int:pk>/revoke/", profile_views.revoke_token, name="revoke_api_token"),
]
