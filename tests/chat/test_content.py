"""The one schema of message content: what it accepts and refuses (with the error at its path), and
that OpenAPI publishes the very same definitions."""

import pytest

from chat import content

ANSWER = {
    "type": "ai",
    "answer": "Sessions are up 13.3%.",
    "charts": [
        {"kind": "line", "title": "Sessions per day", "x": "date", "series": [{"name": "Sessions", "points": [{"x": "2026-11-01", "y": 3}]}]},
        {"kind": "table", "title": "Top pages", "columns": ["Page", "Views"], "rows": [["/", 10], ["/a", None]]},
    ],
    "metrics": [{"name": "Sessions", "value": 3400, "unit": "count", "delta": 13.3}, {"name": "Rate", "value": 0.5, "unit": "percent", "delta": None}],
    "citations": [{"title": "GA4 runReport", "source": "https://analyticsdata.googleapis.com/v1beta/properties/1:runReport"}],
}


def test_valid_contents():
    assert content.validate({"type": "user", "text": "sessions last 7 days"}) == {"type": "user", "text": "sessions last 7 days"}
    assert content.validate(ANSWER) == ANSWER
    assert content.validate({"type": "ai", "answer": "No data."}, kinds=("ai",))


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"charts": [{"kind": "donut", "title": "t"}]}, {"charts": {"0": {"kind": ["Must be one of: line, bar, pie, table."]}}}),
        ({"charts": [{"kind": "bar", "title": "t", "series": []}]}, {"charts": {"0": {"series": ["Must contain at least 1 items."]}}}),
        ({"charts": [{"kind": "bar", "title": "t", "series": [{"name": "s", "points": [{"x": "a", "y": "1"}]}]}]},
         {"charts": {"0": {"series": {"0": {"points": {"0": {"y": ["Must be number."]}}}}}}}),
        ({"charts": [{"kind": "bar", "title": "t", "series": [{"name": "s", "points": [{"x": True, "y": 1}]}]}]},
         {"charts": {"0": {"series": {"0": {"points": {"0": {"x": ["Must be a string or a number."]}}}}}}}),
        ({"charts": [{"kind": "table", "title": "t", "columns": ["a"], "rows": [[{"nested": 1}]]}]},
         {"charts": {"0": {"rows": {"0": {"0": ["Must be a string, a number or null."]}}}}}),
        ({"charts": [{"kind": "table", "title": "t", "series": []}]}, {"charts": {"0": {"columns": ["This field is required."], "rows": ["This field is required."]}}}),
        ({"metrics": [{"name": "m", "value": 1, "unit": "kg", "delta": None}]}, {"metrics": {"0": {"unit": ["Must be one of: count, percent, seconds, currency, ratio."]}}}),
        ({"metrics": [{"name": "m", "value": 1, "unit": "count"}]}, {"metrics": {"0": {"delta": ["This field is required."]}}}),
        ({"citations": [{"title": "t", "source": "s", "url": "x"}]}, {"citations": {"0": {"url": ["Unknown field."]}}}),
        ({"answer": ""}, {"answer": ["Must be longer than or equal to 1 characters."]}),
        ({"answer": "  \n"}, {"answer": ["May not be blank or contain NUL characters."]}),
        ({"answer": "a\x00"}, {"answer": ["May not be blank or contain NUL characters."]}),
        ({"extra": 1}, {"extra": ["Unknown field."]}),
    ],
)
def test_invalid_ai_content_names_the_field(change, fields):
    with pytest.raises(content.ContentInvalid) as refused:
        content.validate({**ANSWER, **change})
    assert refused.value.fields == fields


def test_kinds_restrict_the_type():
    with pytest.raises(content.ContentInvalid) as refused:
        content.validate(ANSWER, kinds=("user",))
    assert refused.value.fields == {"type": ["Must be one of: user."]}


@pytest.mark.django_db
def test_openapi_publishes_the_same_schema(api, user_a):
    schema = api(user_a).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    messages = schema["paths"]["/api/v1/chat/sessions/{session_pk}/messages/"]
    question = messages["post"]["requestBody"]["content"]["application/json"]["schema"]
    body = schema["components"]["schemas"][question["$ref"].rsplit("/", 1)[1]]
    assert body["properties"]["content"] == content.USER_CONTENT_SCHEMA
    listed = schema["components"]["schemas"]["ChatMessage"]["properties"]["content"]
    assert listed["oneOf"][:2] == [content.USER_CONTENT_SCHEMA, content.AI_CONTENT_SCHEMA]
    stream = schema["paths"]["/api/v1/chat/messages/{id}/stream"]["get"]
    assert list(stream["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {p["name"] for p in stream["parameters"]} >= {"Last-Event-ID", "last_event_id"}
