from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts import tokens
from core import rls


class SupabaseJWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <Supabase access token>`. `request.user` is the `auth.users` row and
    `request.auth` the verified claims, which `core.api.views.RLSMixin` hands to the database."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be 'Bearer <access token>'.", code="invalid_header")
        try:
            claims = tokens.verify(parts[1].decode("latin-1"))
            # Under RLS (core.api.views.RLSMixin), the user's lookup also switches the transaction to them.
            user = tokens.user_for(claims, act=rls.switch_wanted(request))
        except tokens.InvalidToken as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        if user.acting:
            rls.acting_as(request, claims)  # RLSMixin need not switch again
        return user, claims

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class SupabaseJWTScheme(OpenApiAuthenticationExtension):
    target_class = SupabaseJWTAuthentication
    name = "SupabaseJWT"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
