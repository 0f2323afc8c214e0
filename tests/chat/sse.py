"""Reading Server-Sent Events in tests: the events of a response body, and a helper that asks a
question, lets the answer be made and reads its stream."""

import json

from tests.jobs import run_deferred


def parse(body: bytes) -> list[dict]:
    """[{"id": int, "event": str, "data": dict}] of an event-stream body; `retry:` and comments skipped."""
    events = []
    for block in body.decode().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if "event" in fields:
            events.append({"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])})
    return events


def read(response) -> list[dict]:
    assert response.status_code == 200, (response.status_code, getattr(response, "content", b"")[:300])
    assert response["Content-Type"] == "text/event-stream"
    return parse(b"".join(response.streaming_content))


def ask_and_stream(client, session, text, **headers):
    """POST the question, run the job that makes the answer, then GET the answer's stream: (the
    POST's body, the events)."""
    posted = client.post(f"/api/v1/chat/sessions/{session.pk}/messages/", {"content": {"type": "user", "text": text}}, format="json")
    assert posted.status_code == 201, posted.json()
    body = posted.json()
    run_deferred("chat")
    return body, read(client.get(body["stream_url"], **headers))
