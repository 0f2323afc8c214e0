"""The built-in responder: answers questions about a GA4 property from its reports.

The data goes one way, each step in one module:

    question --grammar.parse--> Plan --report.request_body--> runReport body
             --the credential's report source (the one call that fetches data)--> the report's JSON
             --report.read--> Report --answer.compose--> the answer's content

The report source (`chat.ga4.reports.source_for`) is the GA4 Data API, or the built-in demo
property for a credential `load_demo` flagged as one. One `runReport` call asks for the period and
the previous one together.

The session's credential gives the property and its report source (which gets and refreshes the
access token). No credential: the answer says how to connect one. A grant Google no longer honours:
the answer says to reconnect. Anything else that fails (Google unreachable, slow, refusing) fails the
message with a clear error (`ResponderError`). Every call to Google goes through
`audit.http_client(service="ga4")`.
"""

from chat.ga4 import reports
from chat.responders import answer, grammar, report
from chat.responders.answer import ai
from chat.responders.base import Answer, Chunk, Responder, ResponderError, Turn

CONNECT_URL = reports.CONNECT_URL
HELP = (
    "Ask for metrics (sessions, active users, new users, views, conversions, revenue, engagement rate, "
    "average session duration, bounce rate, events), optionally by one dimension (device category, "
    "country, city, page, source, channel, browser, or per day) and a period (today, yesterday, last N days, "
    "this or last week, this or last month) — e.g. “sessions by device category last 7 days” or “top pages this month”."
)
NO_PROPERTY = (
    "This chat is not connected to a Google Analytics 4 property yet, so I have no data to answer from. "
    f"Connect one at {CONNECT_URL}, choose it for this chat, then ask again. {HELP}"
)
RECONNECT = (
    "Google no longer accepts this chat's connection to Google Analytics (it was revoked or has expired). "
    f"Reconnect the property at {CONNECT_URL}, then ask again."
)


class GA4Responder(Responder):
    name = "ga4"

    def respond(self, turn: Turn):
        try:
            plan = grammar.parse(turn.question, persona=turn.persona, today=turn.today)
        except grammar.QuestionNotUnderstood as exc:
            yield Answer(ai(f"{exc} {HELP}"))
            return
        yield Chunk(f"Reading your question as: {answer.describe(plan)}.")

        credential, problem = self._credential(turn)
        if problem is not None:
            yield Answer(ai(problem))
            return
        yield Chunk(f"Running a GA4 report on property {credential.property_name or credential.property_id}…")
        try:
            source = reports.source_for(credential, user_id=turn.user_id, as_user=turn.as_user)
            body = source.run_report(report.request_body(plan))
        except reports.NeedsReconnect:
            yield Answer(ai(RECONNECT))
            return
        except reports.ReportError as exc:
            raise ResponderError(str(exc)) from exc
        result = report.read(body, plan)
        yield Chunk(f"Google Analytics returned {result.row_count} rows; writing the answer…")
        name = credential.property_name or credential.property_id
        yield Answer(answer.compose(plan, result, source=reports.citation_for(credential), property_name=name))

    # --- the credential -----------------------------------------------------------------------------

    def _credential(self, turn: Turn):
        """(credential, None), or (None, the answer to give instead)."""
        from chat.models import GA4Credential

        if turn.credential_id is None:
            return None, NO_PROPERTY
        with turn.as_user():
            credential = GA4Credential.objects.filter(pk=turn.credential_id, user=turn.user_id).first()
        if credential is None:
            return None, NO_PROPERTY
        if credential.status != GA4Credential.Status.ACTIVE:
            return None, RECONNECT
        return credential, None
