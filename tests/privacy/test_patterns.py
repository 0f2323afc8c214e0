"""Patterns and co_edited relationships: rebuilt from file events, idempotently, on the workers."""

import json
import math
from datetime import timedelta

import pytest
from django.utils import timezone

from core import rls
from privacy import patterns
from privacy.models import FileEvent, Pattern, Relationship
from tests.jobs.workers import wait_for
from tests.privacy.conftest import allow, consent, file_event


def _file(user, path, minutes_ago, tool="code"):
    return FileEvent.objects.create(user=user, file_path=path, event_type="modified", tool=tool,
                                    timestamp=timezone.now() - timedelta(minutes=minutes_ago))


def _rebuild(user):
    with rls.end_user(rls.claims_for(user)):
        patterns.rebuild(user.pk)


def _state(user):
    return (sorted(Pattern.objects.filter(user=user).values_list("file_extension", "count", "tools")),
            sorted(Relationship.objects.filter(user=user).values_list("source_file", "target_file", "relation_type")))


@pytest.mark.django_db
def test_rebuild_is_idempotent(user_a, user_b):
    _file(user_a, "/srv/a.py", 30)
    _file(user_a, "/srv/b.py", 25, tool="vim")
    _file(user_a, "/srv/README.md", 24)
    _file(user_a, "/srv/c.py", 300)  # hours apart: related to none
    _file(user_b, "/srv/a.py", 30)
    _rebuild(user_a)
    first = _state(user_a)
    assert first[0] == [("md", 1, ["code"]), ("py", 3, ["code", "vim"])]
    assert first[1] == [("/srv/README.md", "/srv/a.py", "co_edited"), ("/srv/README.md", "/srv/b.py", "co_edited"),
                        ("/srv/a.py", "/srv/b.py", "co_edited")]
    _rebuild(user_a)
    assert _state(user_a) == first
    assert not Pattern.objects.filter(user=user_b).exists()  # another user's events count for them only


@pytest.mark.django_db
def test_weights_decay_with_age(user_a):
    _file(user_a, "/srv/new1.py", 1)
    _file(user_a, "/srv/new2.py", 2)
    _file(user_a, "/srv/old1.py", 14 * 24 * 60)
    _file(user_a, "/srv/old2.py", 14 * 24 * 60 + 1)
    _rebuild(user_a)
    weights = dict(Relationship.objects.filter(user=user_a).values_list("source_file", "weight"))
    assert weights["/srv/new1.py"] == pytest.approx(1.0, abs=0.01)
    assert weights["/srv/old1.py"] == pytest.approx(0.25, abs=0.01)  # two half-lives
    FileEvent.objects.filter(user=user_a, file_path__startswith="/srv/old").delete()
    _rebuild(user_a)  # events gone (retention, "delete my telemetry"): so is their relation
    assert list(Relationship.objects.filter(user=user_a).values_list("source_file", flat=True)) == ["/srv/new1.py"]
    assert math.isfinite(weights["/srv/new1.py"])


@pytest.mark.django_db(transaction=True)
def test_patterns_made_by_a_worker(committed_db, api, user_a, workers):
    consent(user_a)
    allow(user_a)
    workers(queues=("privacy",))
    batch = {"file_events": [file_event(path="/home/alice/x/a.ts"), file_event(path="/home/alice/x/b.ts")]}
    response = api(user_a).post("/api/v1/privacy/ingest", json.dumps(batch), content_type="application/json")
    assert response.status_code == 201
    wait_for(lambda: Relationship.objects.filter(user=user_a).exists(), what="a co_edited relationship")
    assert list(Pattern.objects.filter(user=user_a).values_list("file_extension", "count")) == [("ts", 2)]
    assert Relationship.objects.get(user=user_a).source_file == "/home/[USER]/x/a.ts"
