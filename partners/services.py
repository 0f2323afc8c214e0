"""Partner operations shared by the API, the pages and the admin: keys, usage, request logs."""

import json
import re
from datetime import UTC, date, timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http.request import RawPostDataException
from django.utils import timezone

from core import jsontext
from core.netaddr import client_ip
from partners import keys
from partners.models import ApiKey, DailyUsage, Partner, RequestLog, SecurityEvent

MAX_LOGGED_BODY = 4096  # characters of each logged body
SECRET_NAMES = re.compile(r"pass|secret|token|key|authorization|cookie|credential", re.IGNORECASE)
KEY_MATERIAL = re.compile(r"epai_[A-Za-z0-9_\-+/=]+")
REDACTED = "[redacted]"
# `"password": "..."` (any member whose name says secret) in JSON text, the value possibly cut short.
SECRET_MEMBER = re.compile(
    r'("[^"]*(?:pass|secret|token|key|authorization|cookie|credential)[^"]*"\s*:\s*)(?:"(?:[^"\\]|\\.)*"?|[^,}\]]*)',
    re.IGNORECASE,
)


def regenerate_key(partner: Partner) -> tuple[ApiKey, str]:
    """A new key for the partner, replacing the old one at once (seed: regenerate_api_key_for_partner).
    Returns the row and the plaintext, which is never stored and never shown again."""
    plaintext = keys.generate()
    values = {"key_hash": keys.hash_key(plaintext), "key_prefix": keys.display_prefix(plaintext),
              "expires_at": timezone.now() + keys.LIFETIME, "last_used_at": None, "revoked_at": None}
    with transaction.atomic():
        api_key = ApiKey.objects.filter(partner=partner).select_for_update().first()
        if api_key is None:
            api_key = ApiKey.objects.create(partner=partner, **values)
        else:
            for name, value in values.items():
                setattr(api_key, name, value)
            api_key.save()
    return api_key, plaintext


def revoke_key(partner: Partner) -> ApiKey | None:
    api_key = ApiKey.objects.filter(partner=partner, revoked_at__isnull=True).first()
    if api_key is not None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key


def key_status(api_key: ApiKey | None) -> str:
    if api_key is None:
        return "none"
    if api_key.revoked_at:
        return "revoked"
    return "expired" if api_key.expires_at <= timezone.now() else "active"


def usage(partner: Partner, days: int, today: date | None = None) -> list[dict]:
    """One row per UTC day, oldest first, zero-filled (seed: get_partner_usage_summary), read from
    the daily rollup: `days` rows by index, whatever the number of events."""
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    stored = {row.day: row for row in DailyUsage.objects.filter(partner=partner, day__gte=first, day__lte=today)}
    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = stored.get(day)
        rows.append({"date": day, "event_count": row.event_count if row else 0, "insight_count": row.insight_count if row else 0})
    return rows


def redact(value, depth: int = 0):
    """A copy of a JSON value with secrets and key material replaced."""
    if depth > 20:
        return REDACTED
    if isinstance(value, dict):
        return {_text(k): REDACTED if SECRET_NAMES.search(str(k)) else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _text(value)
    return value


def _text(value) -> str:
    """Key material redacted; NUL and unpaired surrogates (which PostgreSQL's jsonb refuses) made
    visible instead."""
    text = KEY_MATERIAL.sub(REDACTED, str(value)).replace("\x00", "\ufffd")
    if not text.isascii():
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _loggable_float(text: str):
    number = float(text)
    return number if abs(number) != float("inf") else text


def loggable_body(raw: bytes | str | None, parsed=None):
    """A body for `logs`, redacted and bounded. A small body is redacted as JSON; a large one is cut
    first and redacted as text, so its cost does not grow with its size."""
    if parsed is None:
        if not raw:
            return None
        if len(raw) <= MAX_LOGGED_BODY and jsontext.nesting_depth(raw if isinstance(raw, bytes) else raw.encode()) <= jsontext.MAX_DEPTH:
            try:  # leniently: what the parser refused is logged as far as JSON can hold it
                parsed = json.loads(raw, parse_constant=str, parse_float=_loggable_float)
            except (ValueError, UnicodeDecodeError):
                pass
        if parsed is None:
            head = raw[:MAX_LOGGED_BODY]
            text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
            return {"truncated": len(raw) > MAX_LOGGED_BODY, "text": _text(SECRET_MEMBER.sub(rf'\1"{REDACTED}"', text))}
    cleaned = redact(parsed)
    text = json.dumps(cleaned)
    if len(text) <= MAX_LOGGED_BODY:
        return cleaned
    return {"truncated": True, "text": text[:MAX_LOGGED_BODY]}


def record_request(partner_id, request, response, duration_ms: int) -> None:
    """A `logs` row for a request made with the partner's key (bodies redacted and bounded)."""
    if response is not None and hasattr(response, "render") and not response.is_rendered:
        response.render()
    RequestLog.objects.create(
        partner_id=partner_id,
        endpoint=request.path[:2000],
        method=request.method,
        status=response.status_code if response is not None else 500,
        duration=duration_ms,
        request_body=_request_body(request),
        response_body=loggable_body(response.content) if response is not None else None,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
    )


def _request_body(request):
    if request.method not in {"POST", "PUT", "PATCH"}:
        return None
    try:
        return loggable_body(request._request.body)
    except RawPostDataException:  # DRF parsed the stream: log what it parsed
        return loggable_body(None, parsed=getattr(request, "_full_data", None))
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: answered 413, never read
        return {"truncated": True, "text": ""}


def record_security_event(event_type: str, request, details: dict, partner_id=None, user_id=None) -> None:
    SecurityEvent.objects.create(
        event_type=event_type,
        details=details,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
        partner_id=partner_id,
        user_id=user_id,
    )


def register_insight_models() -> None:
    """The registry rows of the built-in insight models, written as the connection role (the
    registry is staff-written): call before `generate_insights_for_user` under an end user's RLS."""
    from partners import insights

    insights.ensure_registered()


def generate_insights_for_user(user, models: list[str] | None = None) -> list[dict]:
    """Run the built-in insight models (all, or those named) for `user`'s partner and return the new
    insights (model, content). Raises LookupError when the user has no partner profile, KeyError
    for an unknown model. Runs in the caller's transaction (under the user's RLS for end users)."""
    from partners import insights

    partner = Partner.objects.for_user(user).first()
    if partner is None:
        raise LookupError("You have no partner profile: create one in the partner portal first.")
    made = insights.generate(partner, models)
    return [{"id": str(row.pk), "model": row.model.name, "content": row.content} for row in made]
