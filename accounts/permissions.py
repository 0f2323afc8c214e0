from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from accounts import mfa
from accounts.authentication import SupabaseJWTAuthentication


class MfaRequired(PermissionDenied):
    default_detail = "Your account requires MFA: verify a code from your authenticator app (aal2) and use the new access token."
    default_code = "mfa_required"


class MfaSatisfied(permissions.BasePermission):
    """The API refuses the `aal1` tokens of a user who requires MFA (accounts.mfa). Only session
    tokens are concerned: a partner API key is a machine credential, never at any aal, and reaches
    none of the MFA-guarded tables. The GoTrue endpoints, which an `aal1` session needs to reach
    `aal2`, set their own permissions."""

    def has_permission(self, request, view):
        if not isinstance(request.successful_authenticator, SupabaseJWTAuthentication):
            return True
        if not mfa.satisfied(request.user, request.auth.get("aal")):
            raise MfaRequired()
        return True
