"""Redaction in the database: redact_telemetry_metadata() and the auto_redact_telemetry trigger,
through every write path (ORM/API, raw INSERT, COPY), and file_events.file_path's home masking."""

import importlib
import json
import random
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from privacy.models import FileEvent, TelemetryEvent

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl"

# (metadata in, metadata stored)
CASES = [
    pytest.param({"password": "hunter2"}, {"password": "[REDACTED]"}, id="secret-key"),
    pytest.param({"API-Key": "k", "apiKey": "k", "client_secret": 1, "Authorization": None, "Cookie": ["a"], "session_id": "s"},
                 {"API-Key": "[REDACTED]", "apiKey": "[REDACTED]", "client_secret": "[REDACTED]", "Authorization": "[REDACTED]",
                  "Cookie": "[REDACTED]", "session_id": "[REDACTED]"}, id="secret-key-spellings"),
    pytest.param({"a": {"b": [{"refresh_token": "x", "ok": "fine"}]}}, {"a": {"b": [{"refresh_token": "[REDACTED]", "ok": "fine"}]}},
                 id="nested-secret-key"),
    pytest.param({"credentials": {"user": "u", "pass": "p"}}, {"credentials": "[REDACTED]"}, id="secret-key-whole-object"),
    pytest.param({"m": "write to ann.lee+x@mail.example.org now"}, {"m": "write to [REDACTED_EMAIL] now"}, id="email"),
    pytest.param({"h": f"token {JWT} end"}, {"h": "token [REDACTED_JWT] end"}, id="jwt"),
    pytest.param({"h": "Bearer abc.DEF-123_~+/="}, {"h": "Bearer [REDACTED]"}, id="bearer"),
    pytest.param({"c": "card 4111 1111 1111 1111 ok"}, {"c": "card [REDACTED_CARD] ok"}, id="card-spaced"),
    pytest.param({"c": "5500-0000-0000-0004"}, {"c": "[REDACTED_CARD]"}, id="card-dashed"),
    pytest.param({"c": "4111111111111112"}, {"c": "4111111111111112"}, id="card-luhn-invalid-kept"),
    pytest.param({"ip": "from 192.168.1.20:8080"}, {"ip": "from [REDACTED_IP]:8080"}, id="ipv4"),
    pytest.param({"ip": "2001:db8::1 and fe80::1ff:fe23:4567:890a"}, {"ip": "[REDACTED_IP] and [REDACTED_IP]"}, id="ipv6"),
    pytest.param({"ip": "2001:0db8:85a3:0000:0000:8a2e:0370:7334"}, {"ip": "[REDACTED_IP]"}, id="ipv6-full"),
    pytest.param({"p": "/home/alice/src/app.py"}, {"p": "/home/[USER]/src/app.py"}, id="home-linux"),
    pytest.param({"p": "/Users/bob/Documents"}, {"p": "/Users/[USER]/Documents"}, id="home-mac"),
    pytest.param({"p": "C:\\Users\\carol\\report.docx"}, {"p": "C:\\Users\\[USER]\\report.docx"}, id="home-windows"),
    pytest.param({"p": "file:///home/dave/x"}, {"p": "file:///home/[USER]/x"}, id="home-in-url"),
    pytest.param(["a@b.io", {"x": ["/home/é/ñ.txt"]}], ["[REDACTED_EMAIL]", {"x": ["/home/[USER]/ñ.txt"]}], id="arrays-unicode"),
    pytest.param({"ключ": "значение 日本語", "emoji": "🙂 ok"}, {"ключ": "значение 日本語", "emoji": "🙂 ok"}, id="unicode-kept"),
    # values that must NOT be masked
    pytest.param({"author": "Ann", "duration_ms": 1234, "count": 4111111111111111, "ok": True, "none": None},
                 {"author": "Ann", "duration_ms": 1234, "count": 4111111111111111, "ok": True, "none": None}, id="plain-kept"),
    pytest.param({"t": "12:30:45", "v": "v1.2.3.4", "cpp": "std::vector", "url": "https://example.com/home/page",
                  "date": "2026-12-02", "at": "@mention", "frac": "3.14", "n": "1234567890"},
                 {"t": "12:30:45", "v": "v1.2.3.4", "cpp": "std::vector", "url": "https://example.com/home/page",
                  "date": "2026-12-02", "at": "@mention", "frac": "3.14", "n": "1234567890"}, id="lookalikes-kept"),
    pytest.param({}, {}, id="empty"),
]


def _redact(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.redact_telemetry_metadata(%s::jsonb)", [json.dumps(value)])
        return json.loads(cursor.fetchone()[0])


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "redacted"), CASES)
def test_function(raw, redacted):
    assert _redact(raw) == redacted


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "redacted"), CASES[:8] + CASES[13:16] + CASES[-3:-1])
def test_orm_insert_redacted(user_a, raw, redacted):
    event = TelemetryEvent.objects.create(user=user_a, timestamp=timezone.now(), app_id="code", event_type="edit",
                                          metadata_redacted_json=raw)
    assert TelemetryEvent.objects.get(pk=event.pk).metadata_redacted_json == redacted


@pytest.mark.django_db
def test_raw_insert_redacted(user_a):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO telemetry_events (user_id, timestamp, app_id, event_type, metadata_redacted_json)"
                       " VALUES (%s, now(), 'code', 'edit', %s) RETURNING metadata_redacted_json",
                       [user_a.id, json.dumps({"token": "t", "mail": "a@b.io", "p": "/home/ann/x"})])
        assert json.loads(cursor.fetchone()[0]) == {"token": "[REDACTED]", "mail": "[REDACTED_EMAIL]", "p": "/home/[USER]/x"}


@pytest.mark.django_db
def test_copy_redacted(user_a):
    rows = [(str(uuid.uuid4()), str(user_a.id), timezone.now(), "code", "edit", json.dumps({"secret": i, "ip": "10.0.0.1"}))
            for i in range(3)]
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
                "COPY telemetry_events (id, user_id, timestamp, app_id, event_type, metadata_redacted_json) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    stored = list(TelemetryEvent.objects.filter(user=user_a).values_list("metadata_redacted_json", flat=True))
    assert stored == [{"secret": "[REDACTED]", "ip": "[REDACTED_IP]"}] * 3


@pytest.mark.django_db
def test_one_megabyte_object(user_a):
    raw = {f"k{i}": {"note": f"user{i}@example.com at /home/u{i}/f.txt", "n": i, "ok": "plain words here"} for i in range(11000)}
    raw["api_token"] = "x"
    assert len(json.dumps(raw)) > 1_000_000
    event = TelemetryEvent.objects.create(user=user_a, timestamp=timezone.now(), app_id="code", event_type="edit",
                                          metadata_redacted_json=raw)
    stored = TelemetryEvent.objects.get(pk=event.pk).metadata_redacted_json
    assert stored["api_token"] == "[REDACTED]"
    assert stored["k10999"] == {"note": "[REDACTED_EMAIL] at /home/[USER]/f.txt", "n": 10999, "ok": "plain words here"}
    assert "example.com" not in json.dumps(stored)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "masked"), [
    ("/home/alice/projects/a.py", "/home/[USER]/projects/a.py"),
    ("/Users/Bob Smith/x", "/Users/[USER] Smith/x"),
    ("C:\\Users\\carol\\x.txt", "C:\\Users\\[USER]\\x.txt"),
    ("/srv/app/main.py", "/srv/app/main.py"),
])
def test_file_path_home_masked(user_a, path, masked):
    event = FileEvent.objects.create(user=user_a, file_path=path, event_type="modified", timestamp=timezone.now())
    assert FileEvent.objects.get(pk=event.pk).file_path == masked
    FileEvent.objects.filter(pk=event.pk).update(file_path="/home/zed/y")
    assert FileEvent.objects.get(pk=event.pk).file_path == "/home/[USER]/y"


# Fragments that reach every pattern, its pre-filter and its edges; keys named like secrets in each spelling.
FRAGMENTS = ["ann@example.com", "a@b", "x@y.z", "@", ".", "..", ":", "::", "/", "\\", "/home/", "/Users/", "C:\\Users\\", "c:/users/",
             "home", "bearer ", "BEARER x", "eyJ", "eyJabc.def.ghi", "4111 1111 1111 1111", "4111111111111111", "5500-0000-0000-0004",
             "4222222222222", "192.168.1.1", "256.1.1.1", "2001:db8::1", "fe80::1", "::1", "abc::def", "1:2:3:4:5:6:7:8", "12:30:45",
             "v1.2.3.4", "0", "9", " ", "-", "é", "日本", "—", "x", "main.py", '"', "'", "<", "~", "_", "%", "+", "file://"]
KEYS = ["a", "password", "pass_word", "API-Key", "apiKey", "token", "author", "Auth", "authx", "pwd", "x_jwt", "session", "ключ", "pass·word"]


def corpus(count, seed=5):
    rng = random.Random(seed)

    def value(depth=0):
        pick = rng.random()
        if depth < 3 and pick < 0.15:
            return {rng.choice(KEYS) + rng.choice(["", "1", "_x"]): value(depth + 1) for _ in range(rng.randrange(4))}
        if depth < 3 and pick < 0.25:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        if pick < 0.3:
            return rng.choice([1, 4111111111111111, True, None, 3.5])
        return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, 7)))

    return [{rng.choice(KEYS): value() for _ in range(rng.randrange(1, 5))} for _ in range(count)]


@pytest.mark.django_db
def test_same_masks_as_the_first_version():
    """Migration 0005 rewrote the functions for speed (pre-filters, inlined tests): on a generated
    corpus they return exactly what migration 0001's did."""
    first = importlib.import_module("privacy.migrations.0001_initial").FUNCTIONS_SQL
    first = first[:first.index("CREATE OR REPLACE FUNCTION public.auto_redact_telemetry")].replace("public.", "first_version.")
    documents = corpus(3000)
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA first_version")
        cursor.execute(first)
        cursor.execute("""
            SELECT d.doc, first_version.redact_telemetry_metadata(d.doc), public.redact_telemetry_metadata(d.doc),
                   first_version.redact_telemetry_metadata(d.doc) <> d.doc
            FROM jsonb_array_elements(%s::jsonb) AS d(doc)""", [json.dumps(documents)])
        rows = [(json.loads(a), json.loads(b), json.loads(c), masked) for a, b, c, masked in cursor.fetchall()]
    assert [(doc, before, now) for doc, before, now, _ in rows if before != now] == []
    assert sum(masked for *_, masked in rows) > 2000  # the corpus does reach the patterns
