"""The user's plan on Account → Security (core.panels)."""

from django.db.models import Case, Value, When

from business.models import Subscription
from core import panels

LIVE = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING, Subscription.Status.PAST_DUE)


def plan_context(request):
    user = getattr(request, "end_user", None)
    if user is None:
        return None
    subscription = (Subscription.objects.for_user(user)
                    .order_by(Case(When(status__in=LIVE, then=Value(0)), default=Value(1)), "-last_event_created")
                    .first())
    return {"subscription": subscription, "live": subscription is not None and subscription.status in LIVE}


panels.register("account", "business/_plan.html", plan_context)
