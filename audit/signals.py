"""Staff sign-in events (django.contrib.auth's signals). End users sign in through our own views:
`accounts.services` and `accounts.views` call `audit.activity()` directly."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

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


def connect() -> None:
    user_logged_in.connect(on_staff_login, dispatch_uid="audit_staff_login")
    user_logged_out.connect(on_staff_logout, dispatch_uid="audit_staff_logout")
    user_login_failed.connect(on_staff_login_failed, dispatch_uid="audit_staff_login_failed")
