"""Which organization a request acts in, checked against membership (never trusted):

- the API: the URL's `organization_id`, else the `X-Organization-Id` header, else the caller's
  personal organization;
- pages: the URL's `organization_id`, else the one picked in the header's switcher (kept in the
  session), else the personal organization.

A malformed id is a 400 (`BadOrganizationId`); an organization the user is not a member of is a 404
(`NotAMember`), as if it did not exist. The answer is kept on the request: one query per request.

`active_organization_id` is what `accounts.tenancy.tenant_for(user, request)` answers (registered by
`OrganizationsConfig.ready`); the two refusals are `accounts.tenancy`'s, so the apps below
organizations (chat) catch them without importing this.
"""

import uuid

from accounts import tenancy
from organizations import services
from organizations.models import Membership


class BadOrganizationId(tenancy.MalformedTenant):
    field = services.HEADER


class NotAMember(tenancy.NotATenant):
    pass


def parse_id(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise BadOrganizationId(f"{services.HEADER} must be an organization id (a UUID).") from None


def _wanted(http_request, user, organization_id) -> tuple[uuid.UUID, bool]:
    """(the organization asked for, whether it is only a default: the session's pick or the personal one)."""
    explicit = organization_id if organization_id is not None else http_request.headers.get(services.HEADER)
    if explicit not in (None, ""):
        return parse_id(explicit), False
    return _session_choice(http_request) or services.personal_organization_id(user), True


def active_membership(request, user, organization_id=None) -> Membership:
    """`user`'s membership of the organization the request acts in (see the module)."""
    http_request = getattr(request, "_request", request)
    cache = http_request.__dict__.setdefault("_organization_memberships", {})
    wanted, fallback = _wanted(http_request, user, organization_id)
    if wanted not in cache:
        cache[wanted] = services.membership(user, wanted)
    found = cache[wanted]
    if found is None and fallback and wanted != services.personal_organization_id(user):
        return active_membership(request, user, services.personal_organization_id(user))  # a stale pick
    if found is None:
        raise NotAMember(str(wanted))
    return found


def active_organization_id(request, user) -> uuid.UUID:
    """The id of the organization the request acts in (`accounts.tenancy.tenant_for`). The personal
    organization costs no query: every user is its owner, and it can be neither left nor deleted."""
    wanted, _ = _wanted(getattr(request, "_request", request), user, None)
    if wanted == services.personal_organization_id(user):
        return wanted
    return active_membership(request, user).organization_id


def _session_choice(http_request) -> uuid.UUID | None:
    session = getattr(http_request, "session", None)
    value = session.get(services.SESSION_KEY) if session is not None else None
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def choose(request, membership: Membership) -> None:
    """Make `membership`'s organization the page session's active one (the switcher)."""
    request.session[services.SESSION_KEY] = str(membership.organization_id)
