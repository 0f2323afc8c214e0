"""Every user has a personal organization: made in the sign-up's own transaction (every route of
ours that creates an `auth.users` row sends `accounts.signals.signed_up`), and at sign-in for a user
created elsewhere (by Supabase Auth itself, on a shared database)."""

from accounts import signals as identity
from accounts.models import AuthUser
from organizations import services


def ensure_personal_organization(sender, user, **kwargs):
    services.create_personal_organization(user)


identity.signed_up.connect(ensure_personal_organization, sender=AuthUser, dispatch_uid="organizations_personal_organization")
identity.logged_in.connect(ensure_personal_organization, sender=AuthUser, dispatch_uid="organizations_personal_organization_at_sign_in")
