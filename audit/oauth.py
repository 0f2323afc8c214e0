"""Authlib's OAuth 2.0 client with every request sent — and recorded in `audit_api_calls` — by an
audited httpx client. Authlib's `OAuth2Client` is an `httpx.Client` that builds the requests (client
authentication, PKCE, token parsing); `AuditedOAuth2Client.send()` hands each one to the audited
client, which sends and records it."""

import warnings

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

from audit.http import http_client, tls_context

with warnings.catch_warnings():
    # Authlib warns that it prefers the `httpx2` package; the project's HTTP client is httpx.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client


class AuditedOAuth2Client(OAuth2Client):
    """Authlib's OAuth client whose requests are sent (and recorded) by an audited httpx client."""

    def __init__(self, transport_client: httpx.Client, **kwargs):
        super().__init__(**kwargs)
        self._transport_client = transport_client

    def send(self, request, **kwargs):
        return self._transport_client.send(request, **kwargs)

    def close(self):
        try:
            self._transport_client.close()
        finally:
            super().close()


def oauth_client(service: str, timeout: float, **kwargs) -> AuditedOAuth2Client:
    """An Authlib OAuth client whose calls are recorded under `service` (use it as a context manager)."""
    return AuditedOAuth2Client(
        http_client(service=service, timeout=timeout, verify=tls_context()),
        timeout=timeout,
        verify=tls_context(),  # its own transport is never used (send() delegates), but is built
        **kwargs,
    )
