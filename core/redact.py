"""Key material, recognised by its shape wherever it hides: what error reports (config/sentry.py)
and stored job failures (core.jobs) replace before anything leaves or is kept."""

import re

FILTERED = "[Filtered]"
SECRET_VALUE = re.compile(
    r"epai_[A-Za-z0-9_\-+/=]+"  # our API keys (partners/keys.py), current and seed-made
    r"|\b(?:Bearer|Api-Key)\s+[^\s'\"]+"  # credentials as sent in Authorization
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"  # JWTs
)


def scrub_text(text: str) -> str:
    return SECRET_VALUE.sub(FILTERED, text)
