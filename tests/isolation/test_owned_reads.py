"""User B never sees user A's read-only owned rows (API list and page) — with the application's
scoping and with it switched off, where row-level security alone must hold."""

import pytest

from tests.isolation.resources import OWNED_READS

pytestmark = pytest.mark.django_db


@pytest.fixture(params=OWNED_READS, ids=lambda r: r.name)
def read(request):
    return request.param


def listed(client, read):
    response = client.get(read.api_list)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_owner_sees_own_row(layers, read, user_a, api, pages):
    row = read.make(user_a)
    assert str(row.pk) in listed(api(user_a), read)
    assert read.shows(row) in pages(user_a).get(read.page).content.decode()


def test_other_users_rows_stay_hidden(layers, read, user_a, user_b, api, pages):
    a_row = read.make(user_a)
    b_row = read.make(user_b)
    assert listed(api(user_b), read) == {str(b_row.pk)}
    page = pages(user_b).get(read.page).content.decode()
    assert read.shows(b_row) in page and read.shows(a_row) not in page
