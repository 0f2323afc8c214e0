"""Query counts as a contract: each endpoint's and page's number of SQL statements is recorded in
`tests/<app>/query_counts.json` and a change fails the test — deterministic, unlike timings.

An app's test declares its rows and hands them to `contract`; `api_crud` declares the five of a
REST collection:

    COUNTS = [
        *api_crud("research-sessions", _session, "/api/v1/research-sessions/",
                  create={"title": "x"}, update={"title": "y"}, more=lambda obj: _session(obj.user)),
        Count("page research detail", _session, "get", lambda obj: f"/research/{obj.pk}/", page=True),
    ]
    test_query_count, test_no_stale_query_counts = contract(__file__, COUNTS)

A list (`more=` adds one row beside `obj` in the same list) is measured with one row and with
`LIST_ROWS`: the two counts must be equal, so a query per row is caught at once. After a deliberate
change, regenerate the files with `QUERY_COUNTS_UPDATE=1 bin/test tests/...`.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import api_client, page_client

UPDATE = os.environ.get("QUERY_COUNTS_UPDATE") == "1"
LIST_ROWS = 6


@dataclass(frozen=True)
class Count:
    name: str
    make: Callable  # make(owner) -> the object the request is about
    method: str
    url: Callable  # url(obj) -> the path requested
    body: dict | None = None
    page: bool = False  # a server-rendered page (session cookie) rather than the API (bearer token)
    more: Callable | None = None  # a list: more(obj) adds a row beside obj
    status: int | None = None  # the expected status, when not 200 (201 created, 204 deleted, 302 redirected)

    def request(self, owner, obj):
        client = page_client(owner) if self.page else api_client(owner)
        kwargs = {} if self.page else {"format": "json"}
        args = (self.url(obj),) if self.body is None else (self.url(obj), self.body)
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, self.method)(*args, **kwargs)
        expected = self.status or (200 if self.page else {"post": 201, "delete": 204}.get(self.method, 200))
        assert response.status_code == expected, (self.name, response.status_code, response.content[:300])
        return len(queries)


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _record(path: Path, name: str, count: int) -> None:
    counts = _load(path)
    counts[name] = count
    path.write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\n")


def api_crud(name, make, collection, *, create, update, more, detail=None):
    """list, detail, create, update (PATCH) and delete of one API collection; `collection(obj)` or a
    fixed path, `detail(obj)` defaults to the collection plus the object's id."""
    collection_of = collection if callable(collection) else (lambda obj: collection)
    detail = detail or (lambda obj: f"{collection_of(obj)}{obj.pk}/")
    return [
        Count(f"api {name} list", make, "get", collection_of, more=more),
        Count(f"api {name} detail", make, "get", detail),
        Count(f"api {name} create", make, "post", collection_of, body=create),
        Count(f"api {name} update", make, "patch", detail, body=update),
        Count(f"api {name} delete", make, "delete", detail),
    ]


def contract(test_file: str, counts: list[Count]):
    """A parametrized test measuring every row of `counts` against `query_counts.json` beside
    `test_file`, plus one that fails on recorded rows no longer declared."""
    path = Path(test_file).with_name("query_counts.json")
    names = [count.name for count in counts]
    assert len(set(names)) == len(names), "query count names must be unique"

    @pytest.mark.django_db
    @pytest.mark.parametrize("count", counts, ids=names)
    def test_query_count(count, make_user):
        owner = make_user()
        count.request(owner, count.make(owner))  # once on another object: per-process caches are warm
        obj = count.make(owner)
        measured = count.request(owner, obj)
        if count.more:
            for _ in range(LIST_ROWS - 1):
                count.more(obj)
            many = count.request(owner, obj)
            assert many == measured, f"{count.name}: {measured} statements with one row, {many} with {LIST_ROWS}"
        if UPDATE:
            _record(path, count.name, measured)
            return
        recorded = _load(path).get(count.name)
        assert recorded is not None, f"{count.name}: not in {path.name}; run with QUERY_COUNTS_UPDATE=1"
        assert measured == recorded, (
            f"{count.name}: {measured} SQL statements, {recorded} recorded in {path.name} "
            "(if intended, regenerate with QUERY_COUNTS_UPDATE=1)"
        )

    def test_no_stale_query_counts():
        assert set(_load(path)) <= set(names), f"{path.name} records rows no longer declared"

    return test_query_count, test_no_stale_query_counts
