from django.urls import path

from accounts import security, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("signup/", views.signup, name="signup"),
    path("login/mfa/", views.login_mfa, name="login-mfa"),
    path("logout/", views.logout, name="logout"),
    path("security/", security.security, name="security"),
    path("security/sessions/<uuid:session_id>/revoke/", security.revoke_session, name="revoke-session"),
    path("security/sessions/sign-out-everywhere/", security.sign_out_everywhere, name="sign-out-everywhere"),
    path("security/mfa/enroll/", security.enroll, name="mfa-enroll"),
    path("security/mfa/<uuid:factor_id>/activate/", security.activate, name="mfa-activate"),
    path("security/mfa/<uuid:factor_id>/remove/", security.unenroll, name="mfa-unenroll"),
    path("security/mfa/requirement/", security.requirement, name="mfa-requirement"),
]
