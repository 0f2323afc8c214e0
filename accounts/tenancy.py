"""Which tenant a user's rows belong to. The one place that derives it: the server never accepts a
tenant id from a client.

A tenant is an organization (organizations.models.Organization). A user's own rows (chats, their
messages, GA4 credentials) belong to the user's *personal* organization, made at sign-up, whose id is
by construction the user's id: so this needs no query, and rows written before organizations existed
are already in it (chat migration 0005 moves any that are not). Rows shared with an organization
(workflows, integrations) carry the organization the request acts in (`organizations.access`), not
this.
"""

import uuid


def tenant_for(user) -> uuid.UUID:
    """The tenant id of `user` (an `accounts.models.AuthUser`, or a user id as UUID or string): the
    id of their personal organization."""
    if user is None:
        raise ValueError("tenant_for() needs a user")
    user_id = getattr(user, "pk", user)
    if isinstance(user_id, uuid.UUID):
        return user_id
    return uuid.UUID(str(user_id))
