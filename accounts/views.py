from django.contrib.auth import views as auth_views

from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    # A signed-in user who follows a bookmark to the login page goes straight to work.
    redirect_authenticated_user = True
