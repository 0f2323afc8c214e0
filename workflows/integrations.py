"""Calling out through a user's integration (`user_integrations`): the one place that reads an
integration's decrypted config. Every request goes through the audited client (`audit.http_client`,
service `workflows`) with a bounded timeout, and at most WORKFLOW_HTTP_MAX_RESPONSE_BYTES of the
answer is read. What comes back holds the status and (part of) the body — never the config, the
headers sent or the signature.

A `webhook` integration's requests are signed the way receivers check them (GitHub/Stripe style):
`X-Workflow-Timestamp: <unix seconds>` and `X-Workflow-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" under the signing secret>`. A `slack_webhook` gets Slack's `{"text": ...}`.
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils import timezone

import audit
from core.redact import scrub_text
from workflows.models import Provider, UserIntegration

SIGNATURE_HEADER = "X-Workflow-Signature"
TIMESTAMP_HEADER = "X-Workflow-Timestamp"
HTTP_PROVIDERS = (Provider.WEBHOOK, Provider.SLACK_WEBHOOK)


class CallFailed(Exception):
    """The call did not get a usable answer; `retriable` when trying again may help (network, 5xx, 429)."""

    def __init__(self, message: str, *, retriable: bool):
        super().__init__(message)
        self.retriable = retriable


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s), or (unless WORKFLOW_HTTP_ALLOW_PRIVATE) whose host resolves
    to a loopback, private, link-local or otherwise non-public address: an integration must not
    reach the server's own network."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CallFailed("The integration's URL is not an http(s) URL.", retriable=False)
    if settings.WORKFLOW_HTTP_ALLOW_PRIVATE:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise CallFailed(f"The integration's host {parts.hostname} does not resolve.", retriable=True) from exc
    if any(not ipaddress.ip_address(address.split("%")[0]).is_global for address in addresses):
        raise CallFailed(f"The integration's host {parts.hostname} is not a public address.", retriable=False)


def _body_of(response_bytes: bytes, content_type: str, truncated: bool):
    text = response_bytes.decode(errors="replace")
    if not truncated and "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def call(integration: UserIntegration, *, method: str = "POST", path: str = "", body=None) -> dict:
    """Send one request through `integration`; {"status_code", "body", "truncated"}. Raises CallFailed."""
    if not integration.is_active:
        raise CallFailed(f"The integration {integration.name!r} is switched off.", retriable=False)
    if integration.provider not in HTTP_PROVIDERS:
        raise CallFailed(f"A {integration.provider} integration cannot be called over HTTP.", retriable=False)
    config = integration.config or {}
    url = config.get("url", "") + (path or "")
    check_url(url)
    if integration.provider == Provider.SLACK_WEBHOOK and not (isinstance(body, dict) and "text" in body):
        body = {"text": body if isinstance(body, str) else json.dumps(body, default=str)}
    payload = b"" if body is None or method == "GET" else json.dumps(body, default=str, separators=(",", ":")).encode()
    headers = {**config.get("headers", {}), "User-Agent": "supa-monolith-workflows/1"}
    if payload:
        headers["Content-Type"] = "application/json"
    if config.get("signing_secret"):
        stamp = int(time.time())
        headers[TIMESTAMP_HEADER] = str(stamp)
        headers[SIGNATURE_HEADER] = sign(config["signing_secret"], stamp, payload)
    cap = settings.WORKFLOW_HTTP_MAX_RESPONSE_BYTES
    try:
        with audit.http_client(service="workflows", timeout=settings.WORKFLOW_HTTP_TIMEOUT, follow_redirects=False) as client:
            with client.stream(method, url, content=payload or None, headers=headers) as response:
                received = bytearray()
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) > cap:
                        break
    except httpx.HTTPError as exc:
        raise CallFailed(f"The call to {urlsplit(url).hostname} failed: {type(exc).__name__}.", retriable=True) from None
    truncated = len(received) > cap
    result = {"status_code": response.status_code,
              "body": _body_of(bytes(received[:cap]), response.headers.get("content-type", ""), truncated), "truncated": truncated}
    if response.status_code >= 400:
        excerpt = scrub_text(str(result["body"]))[:300]
        raise CallFailed(f"{urlsplit(url).hostname} answered {response.status_code}: {excerpt}",
                         retriable=response.status_code >= 500 or response.status_code == 429)
    return result


def test(integration: UserIntegration) -> dict:
    """Send a signed ping and keep the answer on the integration (`last_test`): what the test action
    shows. A ga4 integration is tested by its credential being there and active."""
    now = timezone.now()
    if integration.provider == Provider.GA4:
        ok = integration.ga4_credential_id is not None
        answer = {"ok": ok, "message": "Linked to a GA4 credential." if ok else "No GA4 credential is linked."}
    else:
        try:
            result = call(integration, body={"type": "ping", "integration": str(integration.pk), "sent_at": now.isoformat()})
            answer = {"ok": True, "status_code": result["status_code"], "message": str(result["body"])[:500]}
        except CallFailed as exc:
            answer = {"ok": False, "message": str(exc)[:500]}
    answer["tested_at"] = now.isoformat()
    integration.last_test = answer
    update = ["last_test"]
    if answer["ok"]:
        integration.last_sync_at = now
        update.append("last_sync_at")
    integration.save(update_fields=update)
    return answer
