"""Background jobs of the chat (procrastinate; docs/jobs.md): making an answer, and keeping GA4
access tokens fresh."""

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from chat.ga4 import refresh as ga4_refresh
from chat.responders import runner
from core import jobs, rls


def answer_lock(message_id) -> str:
    return f"chat.answer:{message_id}"


# No retry on failure: the runner stores every responder failure on the message itself (the user
# retries from the page). A worker that dies mid-answer is another matter: its job is handed to
# another worker (core.tasks.retry_stalled_jobs), which goes on where it stopped.
@app.task(queue="chat", name="chat.answer")
def answer(message_id: str, user_id: str, aal: str = "aal1") -> None:
    runner.answer(message_id, user_id, aal)


def defer_answer(message) -> None:
    """Queue the making of assistant message `message` (a ChatMessage) in the current transaction:
    one job per message at a time (lock), one waiting at most (queueing lock). The job acts with the
    `aal` of the session that asked (the claims in force in this transaction): a user who requires
    MFA asked from an `aal2` session, and the answer reads their MFA-guarded rows as such."""
    lock = answer_lock(message.pk)
    jobs.defer(answer, lock=lock, queueing_lock=lock, message_id=str(message.pk), user_id=str(message.session.user_id),
               aal=rls.current_claims().get("aal") or "aal1")


# Network work: retried with backoff when Google cannot be reached; one run at a time.
@app.periodic(cron=settings.JOBS_SCHEDULES["refresh_ga4_tokens"])
@app.task(queue="maintenance", name="chat.refresh_ga4_tokens", queueing_lock="chat.refresh_ga4_tokens",
          lock="chat.refresh_ga4_tokens", retry=RetryStrategy(max_attempts=3, exponential_wait=10))
def refresh_ga4_tokens(timestamp: int | None = None) -> None:
    counts = ga4_refresh.refresh_expiring()
    if counts["failed"]:
        raise ga4_refresh.RefreshRunFailed(counts)
