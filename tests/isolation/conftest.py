import pytest

from core.models import OwnedQuerySet


@pytest.fixture(params=["app+rls", "rls-only"])
def layers(request, monkeypatch):
    if request.param == "rls-only":
        # A forgotten filter: every view now starts from the whole table.
        monkeypatch.setattr(OwnedQuerySet, "for_user", lambda self, user: self.all())
    return request.param
