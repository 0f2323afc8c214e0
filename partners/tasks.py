"""Background jobs of the partner platform (procrastinate; docs/jobs.md): insights, on request from
the portal and nightly for every partner."""

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from accounts.models import AuthUser
from core import jobs, rls
from partners import insights
from partners.models import Partner


def generate_lock(partner_id) -> str:
    return f"partners.generate_insights:{partner_id}"


# One transaction per partner: a failed run stores nothing, so it may run again (bounded).
@app.task(queue="partners", name="partners.generate_insights_for", retry=RetryStrategy(max_attempts=3, exponential_wait=5))
def generate_insights_for(partner_id: str, user_id: str) -> int:
    """The portal's "Generate insights", for the partner's owner: under their row-level security."""
    user = AuthUser.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    insights.ensure_registered()  # the model registry is staff-written: as the connection role
    with rls.end_user(rls.claims_for(user)):
        partner = Partner.objects.filter(pk=partner_id).first()  # none unless it is the user's
        return len(insights.generate(partner)) if partner is not None else 0


def defer_generate(partner) -> None:
    lock = generate_lock(partner.pk)
    jobs.defer(generate_insights_for, lock=lock, queueing_lock=lock, partner_id=str(partner.pk), user_id=str(partner.user_id))


def status(partner) -> str | None:
    """queued, running, done or failed: the portal's last "Generate insights"."""
    return {"todo": "queued", "doing": "running", "succeeded": "done", "failed": "failed"}.get(jobs.latest_status(generate_lock(partner.pk)))


# Maintenance over every partner, as the connection role.
@app.periodic(cron=settings.JOBS_SCHEDULES["generate_insights"])
@app.task(queue="maintenance", name="partners.generate_insights", queueing_lock="partners.generate_insights",
          lock="partners.generate_insights", retry=RetryStrategy(max_attempts=3, exponential_wait=30))
def generate_insights(timestamp: int | None = None) -> int:
    return insights.generate_all()[0]
