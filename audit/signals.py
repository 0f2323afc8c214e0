"""Sign-in events into `audit_user_activities`: staff through django.contrib.auth's signals, end
users through `accounts.signals` (identity never calls the audit trail itself)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from accounts import signals as identity
from audit import services


def _staff_details(user, request) -> dict:
    return {"staff_user": user.get_username() if user is not None else "", "via": "admin"}


def on_staff_login(sender, request, user, **kwargs):
    services.activity("login", user=None, details=_staff_details(user, request))


def on_staff_logout(sender, request, user, **kwargs):
    services.activity("logout", user=None, details=_staff_details(user, request))


def on_staff_login_failed(sender, credentials, request=None, **kwargs):
    # `credentials` has the password already masked by Django; only the user name is kept.
    services.activity("login_failed", user=None, durable=True,
                      details={"staff_user": str(credentials.get("username", ""))[:150], "via": "admin"})


def on_signed_up(sender, user, **kwargs):
    services.activity("signup", user=user)


def on_logged_in(sender, user, **kwargs):
    services.activity("login", user=user)


def on_login_failed(sender, user, email, reason, **kwargs):
    # Kept even if the request's transaction rolls back; the account's owner sees it when the email is theirs.
    services.activity("login_failed", user=user, details={"email": email[:254], "reason": reason}, durable=True)


def on_token_issued(sender, user, expires_in, grant_type="password", **kwargs):
    details = {"expires_in": expires_in} if grant_type == "password" else {"expires_in": expires_in, "grant_type": grant_type}
    services.activity("token_issued", user=user, details=details)


def on_logged_out(sender, user, scope="local", **kwargs):
    services.activity("logout", user=user, details={} if scope == "local" else {"scope": scope})


def connect() -> None:
    identity.signed_up.connect(on_signed_up, dispatch_uid="audit_end_user_signed_up")
    identity.logged_in.connect(on_logged_in, dispatch_uid="audit_end_user_logged_in")
    identity.login_failed.connect(on_login_failed, dispatch_uid="audit_end_user_login_failed")
    identity.token_issued.connect(on_token_issued, dispatch_uid="audit_end_user_token_issued")
    identity.logged_out.connect(on_logged_out, dispatch_uid="audit_end_user_logged_out")
    user_logged_in.connect(on_staff_login, dispatch_uid="audit_staff_login")
    user_logged_out.connect(on_staff_logout, dispatch_uid="audit_staff_logout")
    user_login_failed.connect(on_staff_login_failed, dispatch_uid="audit_staff_login_failed")
