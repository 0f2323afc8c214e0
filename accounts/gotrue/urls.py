from django.urls import path, re_path

from accounts.gotrue import errors, views

app_name = "gotrue"

urlpatterns = [
    path("health", views.Health.as_view(), name="health"),
    path("settings", views.Settings.as_view(), name="settings"),
    path("signup", views.SignUp.as_view(), name="signup"),
    path("token", views.Token.as_view(), name="token"),
    path("logout", views.Logout.as_view(), name="logout"),
    path("user", views.User.as_view(), name="user"),
    re_path(r"", errors.not_found),  # any other /auth/v1/ path: GoTrue's 404 body
]
