"""Sections an app adds to a page another app owns (core imports no app): the page's template says
`{% load panels %}{% panels "account" %}`, and an app registers, from its AppConfig.ready(),

    panels.register("account", "business/_plan.html", plan_context)

where `plan_context(request)` returns the section's context (None: the section is left out). The
view's transaction applies: on Account → Security that is the connection role, so a section scopes
its own queries to `request.end_user`.
"""

from collections.abc import Callable

_panels: dict[str, list[tuple[str, Callable]]] = {}


def register(page: str, template: str, context: Callable) -> None:
    entries = _panels.setdefault(page, [])
    if (template, context) not in entries:
        entries.append((template, context))


def of(page: str) -> list[tuple[str, Callable]]:
    return list(_panels.get(page, ()))
