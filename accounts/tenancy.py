"""Which tenant a user belongs to. The one place that derives it: the server never accepts a
tenant id from a client.

Until organizations exist, each user is a tenant of their own, so a user's tenant id is their user
id. When organizations arrive, only this function changes (to the user's organization id); every
`tenant_id` column is written through it.
"""

import uuid


def tenant_for(user) -> uuid.UUID:
    """The tenant id of `user` (an `accounts.models.AuthUser`, or a user id as UUID or string)."""
    if user is None:
        raise ValueError("tenant_for() needs a user")
    user_id = getattr(user, "pk", user)
    if isinstance(user_id, uuid.UUID):
        return user_id
    return uuid.UUID(str(user_id))
