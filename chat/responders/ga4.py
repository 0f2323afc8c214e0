"""The built-in responder: answers questions about a GA4 property from the GA4 Data API.

The data goes one way, each step in one module:

    question --grammar.parse--> Plan --report.request_body--> runReport body
             --run_report (the one call that fetches data)--> Google's answer
             --report.read--> Report --answer.compose--> the answer's content

One `runReport` call (`POST {GA4_DATA_API_URL}/properties/{id}:runReport`) asks for the period and
the previous one together.

The session's credential gives the property and, through `chat.ga4.tokens.get_access_token`, the
access token (refreshed when it is about to expire, and once more if Google refuses it). No
credential: the answer says how to connect one. A grant Google no longer honours: the answer says to
reconnect. Anything else that fails (Google unreachable, slow, refusing) fails the message with a
clear error (`ResponderError`). Every call to Google goes through `audit.http_client(service="ga4")`.
"""

import logging
from dataclasses import dataclass, field

import httpx
from django.conf import settings

import audit
from chat.responders import answer, grammar, report
from chat.responders.answer import ai
from chat.responders.base import Answer, Chunk, Responder, ResponderError, Turn

logger = logging.getLogger(__name__)

CONNECT_URL = "/chat/ga4/"
HELP = (
    "Ask for metrics (sessions, active users, new users, views, conversions, revenue, engagement rate, "
    "average session duration, bounce rate, events), optionally by one dimension (device category, "
    "country, city, page, source, channel, browser, or per day) and a period (today, yesterday, last N days, "
    "this or last week, this or last month) — e.g. “sessions by device category last 7 days” or “top pages this month”."
)
NO_PROPERTY = (
    "This chat is not connected to a Google Analytics 4 property yet, so I have no data to answer from. "
    f"Connect one at {CONNECT_URL}, choose it for this chat, then ask again. {HELP}"
)
RECONNECT = (
    "Google no longer accepts this chat's connection to Google Analytics (it was revoked or has expired). "
    f"Reconnect the property at {CONNECT_URL}, then ask again."
)
FORCED_REFRESH = 10**8  # seconds: "refresh unless valid for longer than this", i.e. always


class GA4Responder(Responder):
    name = "ga4"

    def respond(self, turn: Turn):
        try:
            plan = grammar.parse(turn.question, persona=turn.persona, today=turn.today)
        except grammar.QuestionNotUnderstood as exc:
            yield Answer(ai(f"{exc} {HELP}"))
            return
        yield Chunk(f"Reading your question as: {answer.describe(plan)}.")

        credential, token, problem = self._credential(turn)
        if problem is not None:
            yield Answer(ai(problem))
            return
        yield Chunk(f"Running a GA4 report on property {credential.property_name or credential.property_id}…")
        try:
            body = run_report(turn, credential, token, report.request_body(plan))
        except NeedsReconnect:
            yield Answer(ai(RECONNECT))
            return
        result = report.read(body, plan)
        yield Chunk(f"Google Analytics returned {result.row_count} rows; writing the answer…")
        name = credential.property_name or credential.property_id
        yield Answer(answer.compose(plan, result, source=report_url(credential), property_name=name))

    # --- the credential and its token --------------------------------------------------------------

    def _credential(self, turn: Turn):
        """(credential, access token, None), or (None, None, the answer to give instead)."""
        from chat.ga4.tokens import NeedsReauth, TokenRefreshFailed, get_access_token
        from chat.models import GA4Credential

        if turn.credential_id is None:
            return None, None, NO_PROPERTY
        with turn.as_user():
            credential = GA4Credential.objects.filter(pk=turn.credential_id, user=turn.user_id).first()
            if credential is None:
                return None, None, NO_PROPERTY
            if credential.status != GA4Credential.Status.ACTIVE:
                return None, None, RECONNECT
            try:
                token = get_access_token(credential)
            except NeedsReauth:
                return None, None, RECONNECT
            except TokenRefreshFailed as exc:
                logger.warning("GA4 token refresh failed for credential %s: %s", credential.pk, exc)
                raise ResponderError(
                    "Google did not renew the access to your Analytics property just now. Try again in a minute."
                ) from exc
        return credential, token, None


# --- the one place a report is fetched -----------------------------------------------------------------


def report_url(credential) -> str:
    return f"{settings.GA4_DATA_API_URL.rstrip('/')}/properties/{credential.property_id}:runReport"


def run_report(turn: Turn, credential, token: str, body: dict) -> dict:
    """Google's answer (JSON object) to the runReport `body` for the credential's property; a
    refused token is refreshed once. NeedsReconnect when Google no longer honours the grant,
    ResponderError for every other failure."""
    url = report_url(credential)
    timeout = settings.GA4_HTTP_TIMEOUT
    with audit.context("api", user=turn.user_id), audit.http_client(service="ga4", timeout=timeout) as client:
        for attempt in (1, 2):
            try:
                response = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
            except httpx.TimeoutException as exc:
                raise ResponderError(f"Google Analytics did not answer within {timeout:g} seconds. Try again.") from exc
            except httpx.TransportError as exc:
                raise ResponderError(f"Google Analytics could not be reached ({type(exc).__name__}). Try again.") from exc
            if response.status_code == 401 and attempt == 1:  # the token was refused: one fresh token, once
                token = _refresh(turn, credential)
                continue
            break
    if response.status_code == 401:
        raise NeedsReconnect()
    if response.status_code != 200:
        raise ResponderError(_refusal(response, credential.property_id))
    try:
        payload = response.json()
    except ValueError as exc:
        raise ResponderError("Google Analytics sent an answer that is not JSON. Try again.") from exc
    if not isinstance(payload, dict):
        raise ResponderError("Google Analytics sent an answer of an unexpected shape.")
    return payload


def _refresh(turn: Turn, credential) -> str:
    from chat.ga4.tokens import NeedsReauth, TokenRefreshFailed, refresh

    with turn.as_user():
        try:
            return refresh(credential, within=FORCED_REFRESH)
        except NeedsReauth as exc:
            raise NeedsReconnect() from exc
        except TokenRefreshFailed as exc:
            raise ResponderError("Google refused the access token and did not issue a new one. Try again in a minute.") from exc


class NeedsReconnect(Exception):
    pass


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
