import pytest

from core.models import OwnedQuerySet


@pytest.fixture(params=["app+rls", "rls-only"])
def layers(request, monkeypatch):
    if request.param == "rls-only":
        # A forgotten filter: every view now starts from the whole table.
        # (for_each_user too: the views' class-level querysets keep the filter they built before.)
        for method in ("for_user", "for_each_user"):
            monkeypatch.setattr(OwnedQuerySet, method, lambda self, user: self.all())
    return request.param
