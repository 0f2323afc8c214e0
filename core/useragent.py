"""Readable names for User-Agent headers (ua-parser, which caches its answers)."""

import ua_parser


def browser_label(user_agent: str | None) -> str:
    """"Chrome on Linux" from a User-Agent header; "" when it names no browser."""
    browser = ua_parser.parse_user_agent(user_agent) if user_agent else None
    if browser is None:
        return ""
    system = ua_parser.parse_os(user_agent)
    return f"{browser.family} on {system.family}" if system is not None else browser.family
