from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core import rls
from core.netaddr import client_ip
from core.throttle import FailureThrottle
from partners import keys, services


def presented_key(request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "api-key" and value.strip():
        return value.strip()
    return request.META.get("HTTP_X_API_KEY") or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` or `X-API-Key: <key>`: a partner's program, acting for the end
    user who owns the partner (RLS sees that user). The key's lookup switches the request's
    transaction to that user itself (partners.keys.authenticate). A refused key answers 401 and
    leaves a `security_events` row (address, user agent, reason; never the key)."""

    def authenticate(self, request):
        key = presented_key(request)
        if key is None:
            return None
        ip = client_ip(request)
        throttle = FailureThrottle({f"api-key-fail:{ip}": settings.API_KEY_THROTTLE["attempts"]}, settings.API_KEY_THROTTLE["window"])
        if throttle.blocked():
            raise exceptions.Throttled(detail="Too many refused API keys from this address. Try again later.", code="too_many_attempts")
        try:
            api_key = keys.authenticate(key)  # and, in the same statement, the switch to the owner
        except keys.KeyRefused as exc:
            throttle.fail()
            details = {"reason": exc.reason, "path": request.path}
            partner_id = exc.api_key.partner_id if exc.api_key else None
            rls.after_transaction(request, lambda response: services.record_security_event(
                "api_key_refused", request, details, partner_id=partner_id))
            raise exceptions.AuthenticationFailed(exc.message, code=f"api_key_{exc.reason}") from exc
        partner = api_key.partner
        request._request.partner = partner
        claims = keys.claims(api_key)
        if api_key.acting:
            rls.acting_as(request, claims)  # RLSMixin need not switch again
        return partner.user, claims

    def authenticate_header(self, request):
        return 'Api-Key realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "A partner API key (also accepted as `Authorization: Api-Key <key>`)."}
