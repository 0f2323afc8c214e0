"""`OwnedQuerySet.for_each_user`: a view's class-level queryset filtered for one user after another
(core.api.views.OwnedModelViewSet) — each user's query is the one `for_user` builds, with that
user's rows, and no user's filter leaks into another's. The suite runs with SQL_CACHE_VERIFY, so
every copy is also compared with `for_user`'s query as it is made."""

from unittest import mock

import pytest
from django.test import override_settings

from core.models import OwnedQuerySet
from sessions_app.models import DraftFile, ResearchSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(user_a, user_b):
    return {user: [ResearchSession.objects.create(user=user, title=f"{user.email} {i}") for i in range(3)]
            for user in (user_a, user_b)}


def ids(queryset):
    return sorted(row.pk for row in queryset)


def test_each_user_gets_for_users_query_and_rows(rows, user_a, user_b):
    base = ResearchSession.objects.order_by("-created_at")
    first, second, third = (base.for_each_user(user) for user in (user_a, user_b, user_a))
    assert "_owner_filtered" in base.__dict__  # kept after the first
    for queryset, user in ((first, user_a), (second, user_b), (third, user_a)):
        assert queryset.query.sql_with_params() == base.for_user(user).query.sql_with_params()
        assert ids(queryset) == ids(rows[user])
    assert ids(first) == ids(rows[user_a])  # the later users changed nothing in an earlier copy


def test_a_copy_is_made_without_djangos_filter(rows, user_a, user_b):
    base = ResearchSession.objects.all()
    base.for_each_user(user_a)
    with (override_settings(SQL_CACHE_VERIFY=False),
          mock.patch.object(OwnedQuerySet, "filter", side_effect=AssertionError("filtered again"))):
        queryset = base.for_each_user(user_b)
    assert ids(queryset) == ids(rows[user_b])


def test_a_copy_that_differs_from_for_user_is_caught(rows, user_a, user_b):
    base = ResearchSession.objects.all()
    base.for_each_user(user_a)
    filtered, kind = base._owner_filtered
    base._owner_filtered = (filtered.filter(title="x"), kind)  # a kept filter that is not for_user's
    with pytest.raises(AssertionError, match="for_each_user gave"):
        base.for_each_user(user_b)


def test_no_user_and_other_owner_paths_go_for_users_way(rows, user_a):
    base = ResearchSession.objects.all()
    assert list(base.for_each_user(None)) == [] and "_owner_filtered" not in base.__dict__
    drafts = DraftFile.objects.all()  # owned through its session: session__user, a join
    assert list(drafts.for_each_user(user_a)) == [] and "_owner_filtered" not in drafts.__dict__


def test_another_kind_of_user_is_refused_as_for_user_refuses_it(rows, user_a, django_user_model):
    base = ResearchSession.objects.all()
    base.for_each_user(user_a)
    staff = django_user_model(username="staff")
    with pytest.raises(ValueError) as by_for_user:
        ResearchSession.objects.for_user(staff)
    with pytest.raises(ValueError) as by_copy:
        base.for_each_user(staff)
    assert str(by_copy.value) == str(by_for_user.value)


def test_the_api_lists_each_callers_rows_only(rows, user_a, user_b, api):
    for user in (user_a, user_b, user_a):
        body = api(user).get("/api/v1/research-sessions/").json()
        assert sorted(row["id"] for row in body["results"]) == sorted(str(r.pk) for r in rows[user])
