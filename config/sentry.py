"""Error reporting to Sentry, switched on by SENTRY_DSN (settings).

No personal data is sent (`send_default_pii` off: no cookies, no user, no client address), and
before an event leaves, every secret is replaced: values under a secret-sounding name (Authorization,
Api-Key, X-API-Key, Cookie, password, token, secret, key, credential) in the request, the stack
frames' variables, extras and breadcrumbs, and key material anywhere in the event's text (`epai_`
keys, `Bearer`/`Api-Key` credentials, JWTs), whatever name it hides under.
"""

import re

from core.redact import FILTERED, SECRET_VALUE

SECRET_NAME = re.compile(r"pass|secret|token|key|authorization|cookie|credential|session|csrf|jwt|dsn", re.IGNORECASE)
# The parts of an event that hold names chosen by the application or the client.
NAMED_PARTS = {"request", "vars", "extra", "contexts", "breadcrumbs", "data", "headers", "cookies", "env"}


def scrub(value, named: bool = False, depth: int = 0):
    """A copy of an event (part) with secrets replaced; `named`: inside a part whose keys are the
    application's or the client's names."""
    if depth > 40:
        return FILTERED
    if isinstance(value, dict):
        return {key: FILTERED if named and isinstance(key, str) and SECRET_NAME.search(key)
                else scrub(item, named or key in NAMED_PARTS, depth + 1)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if named and len(value) == 2 and isinstance(value[0], str) and SECRET_NAME.search(value[0]):
            return [value[0], FILTERED]  # a header or form field as a [name, value] pair
        return [scrub(item, named, depth + 1) for item in value]
    if isinstance(value, str):
        return SECRET_VALUE.sub(FILTERED, value)
    return value


def before_send(event, hint):
    return scrub(event)


def init(dsn: str, *, environment: str, release: str | None = None, traces_sample_rate: float = 0.0) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration()],
        # send_default_pii stays at its default, off (not passed: recent SDKs deprecate the option
        # in favour of `data_collection`, whose default without either is the same "off").
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_send_transaction=before_send,
        before_breadcrumb=lambda crumb, hint: scrub(crumb, named=True),
    )
