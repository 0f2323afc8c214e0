"""Where the chat's GA4 reports come from: one interface, `ReportSource.run_report(body)`, taking a
runReport request body and giving the answer in the GA4 Data API's JSON shape.

- `GA4DataAPI`: the real API (`POST {GA4_DATA_API_URL}/properties/{id}:runReport`) with the
  credential's access token (`chat.ga4.tokens`: refreshed when about to expire, and once more if
  Google refuses it). Every call goes through `audit.http_client(service="ga4")`.
- `chat.ga4.demo.DemoProperty`: the built-in demo property, synthetic and deterministic, no network.

`source_for(credential, ...)` picks one. Only a credential flagged `is_demo` reads the demo
property — a flag `manage.py load_demo` alone sets, on a credential that holds no tokens (a CHECK
constraint), and that connecting through Google clears — so a real property never gets made-up
numbers, and the demo never calls Google.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from django.conf import settings

import audit

logger = logging.getLogger(__name__)

CONNECT_URL = "/chat/ga4/"
FORCED_REFRESH = 10**8  # seconds: "refresh unless valid for longer than this", i.e. always


class ReportError(Exception):
    """The report could not be had; `str(exc)` is shown to the user (what failed, what to do)."""


class NeedsReconnect(ReportError):
    """Google no longer honours the credential's grant: the user must connect the property again."""


class ReportSource(ABC):
    @abstractmethod
    def run_report(self, body: dict) -> dict:
        """The runReport answer to `body` (dateRanges, dimensions, metrics, metricAggregations,
        orderBys, limit), as the GA4 Data API gives it. Raises ReportError."""


def source_for(credential, *, user_id, as_user: Callable[[], AbstractContextManager]) -> ReportSource:
    """The report source of `credential`. `as_user` opens a transaction as its owner (for the token)."""
    if credential.is_demo:
        from chat.ga4.demo import DemoProperty

        return DemoProperty(credential.property_id)
    return GA4DataAPI(credential, user_id=user_id, as_user=as_user)


def citation_for(credential) -> str:
    """Where the credential's numbers come from, for an answer's citation."""
    if credential.is_demo:
        from chat.ga4.demo import CITATION

        return CITATION
    return report_url(credential.property_id)


def report_url(property_id: str) -> str:
    return f"{settings.GA4_DATA_API_URL.rstrip('/')}/properties/{property_id}:runReport"


class GA4DataAPI(ReportSource):
    def __init__(self, credential, *, user_id, as_user: Callable[[], AbstractContextManager]):
        self.credential, self.user_id, self.as_user = credential, user_id, as_user

    def run_report(self, body: dict) -> dict:
        token = self._token()
        url = report_url(self.credential.property_id)
        timeout = settings.GA4_HTTP_TIMEOUT
        with audit.context("api", user=self.user_id), audit.http_client(service="ga4", timeout=timeout) as client:
            for attempt in (1, 2):
                try:
                    response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
                except httpx.TimeoutException as exc:
                    raise ReportError(f"Google Analytics did not answer within {timeout:g} seconds. Try again.") from exc
                except httpx.TransportError as exc:
                    raise ReportError(f"Google Analytics could not be reached ({type(exc).__name__}). Try again.") from exc
                if response.status_code == 401 and attempt == 1:  # the token was refused: one fresh token, once
                    token = self._token(forced=True)
                    continue
                break
        if response.status_code == 401:
            raise NeedsReconnect()
        if response.status_code != 200:
            raise ReportError(_refusal(response, self.credential.property_id))
        try:
            payload = response.json()
        except ValueError as exc:
            raise ReportError("Google Analytics sent an answer that is not JSON. Try again.") from exc
        if not isinstance(payload, dict):
            raise ReportError("Google Analytics sent an answer of an unexpected shape.")
        return payload

    def _token(self, forced: bool = False) -> str:
        """A valid access token (a fresh one when `forced`: Google refused the last)."""
        from chat.ga4.tokens import NeedsReauth, TokenRefreshFailed, get_access_token, refresh

        with self.as_user():
            try:
                return refresh(self.credential, within=FORCED_REFRESH) if forced else get_access_token(self.credential)
            except NeedsReauth as exc:
                raise NeedsReconnect() from exc
            except TokenRefreshFailed as exc:
                logger.warning("GA4 token refresh failed for credential %s: %s", self.credential.pk, exc)
                if forced:
                    raise ReportError("Google refused the access token and did not issue a new one. Try again in a minute.") from exc
                raise ReportError("Google did not renew the access to your Analytics property just now. Try again in a minute.") from exc


def _refusal(response: httpx.Response, property_id: str) -> str:
    try:
        message = str(response.json().get("error", {}).get("message", ""))[:300].rstrip(". ")
    except (ValueError, AttributeError):
        message = ""
    detail = f": {message}" if message else ""
    status = response.status_code
    if status == 403:
        return f"Google Analytics refused access to property {property_id}{detail}. Check that the connected Google account can read it."
    if status == 404:
        return f"Google Analytics has no property {property_id}{detail}. Connect the right property at {CONNECT_URL}."
    if status == 429:
        return f"The Google Analytics quota of property {property_id} is used up for now{detail}. Try again later."
    if status == 400:
        return f"Google Analytics could not run this report{detail}."
    return f"Google Analytics answered HTTP {status}{detail}. Try again later."
