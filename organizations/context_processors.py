def organizations(request):
    """The header's organization switcher, from the page session (no query on every page): the
    organizations seen last on an organizations page or changed in this session, and the active one.
    A convenience only: every page checks membership when it acts in an organization."""
    session = getattr(request, "session", None)
    if session is None or getattr(request, "end_user", None) is None:
        return {}
    from organizations.menu import active_entry, entries

    return {"organization_menu": entries(request), "active_organization": active_entry(request)}
