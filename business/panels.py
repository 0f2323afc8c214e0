"""Sections business adds to other apps' pages (core.panels): MRR and churn on the staff Growth
dashboard (staff, the connection role), and the user's plan on Account → Security. The security
page runs as the connection role (it reads Supabase Auth's tables), so the plan is read in a
transaction of its own as the end user: row-level security holds here too."""

from django.db.models import Case, Value, When

from business import services
from business.models import Subscription
from core import panels, rls

LIVE = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING, Subscription.Status.PAST_DUE)


def plan_context(request):
    user = getattr(request, "end_user", None)
    if user is None:
        return None
    with rls.end_user(rls.claims_for(user, getattr(request, "auth_session", None))):
        subscription = (Subscription.objects.for_user(user)
                        .order_by(Case(When(status__in=LIVE, then=Value(0)), default=Value(1)), "-last_event_created")
                        .first())
    return {"subscription": subscription, "live": subscription is not None and subscription.status in LIVE}


def revenue_context(request):
    if request is None or not request.user.is_staff:
        return None
    return {"revenue": services.revenue_summary()}


panels.register("account", "business/_plan.html", plan_context)
panels.register("growth", "business/_mrr_churn.html", revenue_context)
