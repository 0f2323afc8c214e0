from django.urls import path, re_path

from accounts.gotrue import errors, mfa, oauth, views

app_name = "gotrue"

urlpatterns = [
    path("health", views.Health.as_view(), name="health"),
    path("settings", views.Settings.as_view(), name="settings"),
    path("signup", views.SignUp.as_view(), name="signup"),
    path("token", views.Token.as_view(), name="token"),
    path("logout", views.Logout.as_view(), name="logout"),
    path("user", views.User.as_view(), name="user"),
    path("authorize", oauth.authorize, name="authorize"),
    path("callback", oauth.callback, name="callback"),
    path("factors", mfa.Factors.as_view(), name="factors"),
    path("factors/<uuid:factor_id>", mfa.Factor.as_view(), name="factor"),
    path("factors/<uuid:factor_id>/challenge", mfa.Challenge.as_view(), name="factor-challenge"),
    path("factors/<uuid:factor_id>/verify", mfa.Verify.as_view(), name="factor-verify"),
    re_path(r"", errors.not_found),  # any other /auth/v1/ path: GoTrue's 404 body
]
