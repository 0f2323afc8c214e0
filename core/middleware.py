import functools

from csp import middleware as csp
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.urls import Resolver404, resolve

from core import rls

# What makes a response's policy its own (django-csp's decorators) rather than the settings'.
_OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
_POLICIES = ((HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
             (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True))


@functools.cache
def _settings_policy(report_only: bool) -> str:
    return build_policy(report_only=report_only)


setting_changed.connect(lambda **kwargs: _settings_policy.cache_clear(), weak=False)


class CSPMiddleware(csp.CSPMiddleware):
    """django-csp's, with the settings' policy built once: a response with no policy of its own to a
    request that used no nonce gets the same header every time, which django-csp builds again for
    each response (≈ 2 % of a JSON list request). Anything else goes to django-csp."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, name) for name in _OWN_POLICY):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for header, setting, exempt, report_only in _POLICIES:
            policy = _settings_policy(report_only)
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if (policy and header not in response and getattr(response, exempt, False) is False
                    and not request.path_info.startswith(tuple(prefixes))):
                response[header] = policy
        request.csp_nonce = csp.CheckableLazyObject(self._csp_nonce_post_response)
        return response


def without_rls(view):
    """Mark a page that must not run as the end user: sign-in and sign-out write Supabase Auth's own
    tables (`auth.sessions`), which the `authenticated` role cannot reach, as GoTrue does."""
    view.rls_exempt = True
    return view


class RowLevelSecurityMiddleware:
    """A page request of a signed-in end user runs in one transaction, as the `authenticated` role
    with that user's claims, so RLS guards every query the view makes. A page that fails (5xx) is
    rolled back.

    API views do the same in `core.api.views` once DRF has authenticated the token; the admin runs as
    the connection's own role (staff see every tenant by design)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "end_user", None)
        if user is None or not self._guards(request):
            return self.get_response(request)
        with rls.request_transaction():
            rls.act_as(rls.claims_for(user, getattr(request, "auth_session", None)))
            response = self.get_response(request)
            if response.status_code >= 500:
                # Django has turned the view's exception into this response already (it never
                # reaches the `with`): undo what the failed view wrote.
                transaction.set_rollback(True)
            return response

    @staticmethod
    def _guards(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return True
        if match.app_name == "admin" or getattr(match.func, "rls_exempt", False):
            return False
        return not hasattr(match.func, "cls")  # DRF views open their own transaction
