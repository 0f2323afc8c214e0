"""The switcher's list in the page session: [[id, name, role], ...] of the user's organizations,
kept current by the organizations pages and by every membership change made in this session."""

from organizations import services

MENU_KEY = "organization_menu"
MENU_SIZE = 20  # the session is a signed cookie: the list stays short (the organizations page lists all)


def remember(request, memberships) -> None:
    request.session[MENU_KEY] = [[str(m.organization_id), m.organization.name, m.role] for m in list(memberships)[:MENU_SIZE]]


def refresh(request) -> None:
    remember(request, services.memberships(request.end_user))


def entries(request) -> list:
    return request.session.get(MENU_KEY) or []


def active_entry(request):
    """[id, name, role] of the active organization, or None when it is the personal one or unknown."""
    active = request.session.get(services.SESSION_KEY)
    return next((entry for entry in entries(request) if entry[0] == active), None)
