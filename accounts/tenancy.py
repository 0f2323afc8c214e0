"""Which tenant a user's rows belong to. The one entry point that derives it: the server never
accepts a tenant id from a client.

A tenant is an organization (organizations.models.Organization). `tenant_for(user, request)` is the
organization the caller acts in:

- with a request: the request's *active* organization — the URL's or the `X-Organization-Id`
  header's (API), else the header switcher's choice kept in the page session, else the personal
  organization — checked against membership. A malformed id raises `MalformedTenant` (the API's
  400), an organization the user is not a member of `NotATenant` (404, as if it did not exist);
- without one (jobs, a workflow's steps, `load_demo`, migrations): the user's *personal*
  organization, whose id is by construction the user's id, so no query. A caller acting for another
  organization without a request (a workflow step acts in its workflow's) names it itself.

`accounts` is identity and does not know organizations (tests/core/test_import_direction.py), so the
request-aware part is a hook: `organizations` registers its resolver (`organizations.access`) when
the app is ready, and its refusals subclass the two exceptions here, which callers such as `chat`
catch without importing `organizations`. With no resolver registered every request acts in the
personal organization.
"""

import uuid
from collections.abc import Callable


class TenantRefused(Exception):
    """The request names an organization the caller may not act in."""


class MalformedTenant(TenantRefused, ValueError):
    """The organization id the request names is not an id (the API answers 400 on `field`, where
    the request named it)."""

    field: str | None = None


class NotATenant(TenantRefused, LookupError):
    """The request names an organization the user is not a member of (404: as if it did not exist)."""


_active_tenant: Callable | None = None


def register_active_tenant(resolver: Callable) -> None:
    """`resolver(request, user) -> uuid.UUID`: the organization `request` acts in, membership-checked
    (raising MalformedTenant/NotATenant). Registered once, by `organizations` when it is ready."""
    global _active_tenant
    _active_tenant = resolver


def personal_tenant(user) -> uuid.UUID:
    """The id of `user`'s personal organization (an `accounts.models.AuthUser`, or a user id as UUID
    or string): the user's own id."""
    if user is None:
        raise ValueError("tenant_for() needs a user")
    user_id = getattr(user, "pk", user)
    if isinstance(user_id, uuid.UUID):
        return user_id
    return uuid.UUID(str(user_id))


def tenant_for(user, request=None) -> uuid.UUID:
    """The tenant id `user` acts in: the request's active organization, or without a request the
    personal organization (see the module)."""
    if request is None or _active_tenant is None:
        return personal_tenant(user)
    return _active_tenant(request, user)
