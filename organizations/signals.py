"""Every new user gets their personal organization, in the sign-up's own transaction (every route
that creates an `auth.users` row sends `accounts.signals.signed_up`)."""

from accounts import signals as identity
from accounts.models import AuthUser
from organizations import services


def on_signed_up(sender, user, **kwargs):
    services.create_personal_organization(user)


identity.signed_up.connect(on_signed_up, sender=AuthUser, dispatch_uid="organizations_personal_organization")
