"""The outbound HTTP client: every request it sends leaves a row in `audit_api_calls`."""

import functools
import ssl
import time

import httpx
from django.conf import settings

from audit import services


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context for every client: httpx builds a new one (loading the CA bundle,
    ~60 ms) for each client otherwise. Thread-safe to share."""
    return httpx.create_ssl_context()


class AuditedClient(httpx.Client):
    """An `httpx.Client` that records each request it sends: service, method, endpoint (no query
    string), status, duration, and the error of a connection failure or timeout (re-raised).
    Headers and bodies are never recorded."""

    def __init__(self, *, service: str, session_id=None, **kwargs):
        kwargs.setdefault("timeout", getattr(settings, "AUDIT_HTTP_TIMEOUT", 10.0))
        kwargs.setdefault("verify", tls_context())
        super().__init__(**kwargs)
        self.service = service
        self.session_id = session_id

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = super().send(request, **kwargs)
        except httpx.HTTPError as exc:
            services.api_call(
                service=self.service, url=request.url, method=request.method, session_id=self.session_id,
                duration_ms=round((time.perf_counter() - started) * 1000),
                error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
            )
            raise
        services.api_call(
            service=self.service, url=request.url, method=request.method, session_id=self.session_id,
            status_code=response.status_code, duration_ms=round((time.perf_counter() - started) * 1000),
        )
        return response


def http_client(service: str = "external", **kwargs) -> AuditedClient:
    """`audit.http_client(service="ga4", base_url=..., ...)`: the one way the app calls other
    services. Keyword arguments go to `httpx.Client` (default timeout: AUDIT_HTTP_TIMEOUT)."""
    return AuditedClient(service=service, **kwargs)
