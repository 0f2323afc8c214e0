"""Demo data by declaration: every app that has something to show puts a `demo.py` beside its
models with one provider,

    from core import demo

    @demo.provider("the partner portal")
    def load(user, say):
        ...  # fill this app's rows for `user`; say("one line of what was made") as often as useful

and `manage.py load_demo` (accounts) runs them all for the demo user, in INSTALLED_APPS order, in
one transaction. A provider is idempotent: run twice it leaves the same rows, and a run refreshes
whatever would otherwise expire (a ttl, a key's lifetime, a window of days that slides).
Providers run as the connection role (like any management command), not under row-level security.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

MODULE = "demo"  # the module each app declares its provider in


@dataclass(frozen=True)
class Provider:
    app_label: str
    what: str  # what it fills, in words ("the partner portal")
    load: Callable  # load(user, say) -> None


_providers: dict[str, Provider] = {}


def provider(what: str):
    """Declare the function as its app's demo-data provider (one per app)."""

    def register(load):
        app = apps.get_containing_app_config(load.__module__)
        if app is None:
            raise LookupError(f"{load.__module__} is not part of an installed app.")
        _providers[app.label] = Provider(app.label, what, load)
        return load

    return register


def providers() -> list[Provider]:
    """Every installed app's provider, in INSTALLED_APPS order (imports each app's `demo` module)."""
    autodiscover_modules(MODULE)
    order = {app.label: index for index, app in enumerate(apps.get_app_configs())}
    return sorted(_providers.values(), key=lambda p: order[p.app_label])
