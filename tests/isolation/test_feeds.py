"""User B's "My activity" (API and page) never shows user A's audit rows — with the application's
scoping and with it switched off, where row-level security alone must hold."""

import pytest

from tests.isolation.resources import AUDIT_FEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture(params=AUDIT_FEEDS, ids=lambda f: f.name)
def feed(request):
    return request.param


def listed(client, feed):
    response = client.get(feed.api_list)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_owner_sees_own_row(layers, feed, user_a, api, pages):
    row = feed.make(user_a)
    assert str(row.pk) in listed(api(user_a), feed)
    assert 'data-testid="activity-empty"' not in pages(user_a).get(feed.page_list).content.decode()


def test_other_users_rows_stay_hidden(layers, feed, user_a, user_b, api, pages):
    feed.make(user_a)
    b_row = feed.make(user_b)
    seen = listed(api(user_b), feed)
    page = pages(user_b).get(feed.page_list)
    assert page.status_code == 200
    seen |= {str(row.pk) for row in page.context["object_list"]}
    assert str(b_row.pk) in seen
    owners = set(feed.model._base_manager.filter(pk__in=seen).values_list("user", flat=True))
    assert owners == {user_b.pk}
