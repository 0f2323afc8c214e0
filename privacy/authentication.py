from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import AuthUser
from core import rls
from privacy import devicetokens


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer pgd_…`: a desktop agent, acting for the user who made the token. Any
    other bearer value is left to the Supabase JWT authentication that follows."""

    def authenticate(self, request):
        scheme, _, value = authentication.get_authorization_header(request).decode("latin-1").partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value.startswith(devicetokens.PREFIX):
            return None
        found = devicetokens.verify(value)
        if found is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked device token.", code="device_token_invalid")
        token_id, user_id = found
        user = AuthUser.objects.filter(pk=user_id).first()
        if user is None or user.refusal():
            raise exceptions.AuthenticationFailed("The owner of this device token may not sign in.", code="device_token_invalid")
        return user, {**rls.claims_for(user), "amr": [{"method": "device_token"}], "device_token_id": str(token_id)}

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "DeviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A device token (`pgd_…`) made on the privacy page."}
