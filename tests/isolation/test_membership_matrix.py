"""The membership dimension (resources_organizations.py): outsider, viewer, member, admin and owner ×
list, read, create, update, delete on every resource of an organization, through the API and the
pages, with the application's scoping and with RLS alone (`layers`). Allowed: it happens. Not
allowed: 404 for an outsider, 403 for a member, and nothing changes."""

import pytest

from organizations.models import Membership, Organization, Role
from tests.isolation.resources_organizations import ORG_RESOURCES, ROLES

pytestmark = pytest.mark.django_db

API_CASES = [(r, role, action) for r in ORG_RESOURCES for role in ROLES for action in r.actions]
PAGE_CASES = [(r, role, action) for r in ORG_RESOURCES for role in ROLES for action in r.pages]
OK = {"list": 200, "read": 200, "create": 201, "update": 200, "delete": 204}


def _ids(case):
    resource, role, action = case
    return f"{resource.name}-{role}-{action}"


@pytest.fixture
def people(make_user):
    """An organization (owner Alice) with a viewer, a member, an admin and the author of its rows
    (another member); and an outsider."""
    by_role = {role: make_user(f"{role}@example.com") for role in ROLES}
    author = make_user("author@example.com")
    organization = Organization.objects.create(name="Acme", slug="acme")
    Membership.objects.create(organization=organization, user=by_role["owner"], role=Role.OWNER)
    for role in ("viewer", "member", "admin"):
        Membership.objects.create(organization=organization, user=by_role[role], role=role)
    Membership.objects.create(organization=organization, user=author, role=Role.MEMBER)
    return organization, author, by_role


def _refusal(role):
    return 404 if role == "outsider" else 403


@pytest.mark.parametrize("case", API_CASES, ids=_ids)
def test_api(layers, case, people, api):
    resource, role, action = case
    organization, author, by_role = people
    obj = resource.make(organization, author)
    client = api(by_role[role])
    headers = {"HTTP_X_ORGANIZATION_ID": str(organization.pk)} if resource.header else {}
    before, count = resource.snapshot(obj), resource.count(obj)
    collection, detail = resource.api_collection(organization), resource.api_detail(obj, organization)
    response = {
        "list": lambda: client.get(collection, **headers),
        "read": lambda: client.get(detail, **headers),
        "create": lambda: client.post(collection, resource.create, format="json", **headers),
        "update": lambda: client.patch(detail, resource.update, format="json", **headers),
        "delete": lambda: client.delete(detail, **headers),
    }[action]()
    if resource.may(role, action):
        assert response.status_code == OK[action], (response.status_code, response.content[:300])
        if action == "list":
            assert str(obj.pk) in {row["id"] for row in response.json()["results"]}
        return
    if action == "list" and role == "outsider" and not resource.nested and not resource.header:
        assert response.status_code == 200  # a collection of one's own: it just doesn't hold the row
        assert str(obj.pk) not in {row["id"] for row in response.json()["results"]}
    else:
        assert response.status_code == _refusal(role), (response.status_code, response.content[:300])
    assert resource.snapshot(obj) == before and resource.count(obj) == count


@pytest.mark.parametrize("case", PAGE_CASES, ids=_ids)
def test_pages(layers, case, people, pages):
    resource, role, action = case
    organization, author, by_role = people
    obj = resource.make(organization, author)
    page = resource.pages[action]
    before, count = resource.snapshot(obj), resource.count(obj)
    client = pages(by_role[role])
    response = client.get(page.url(obj)) if page.method == "get" else client.post(page.url(obj), page.form or {})
    if resource.may(role, action):
        assert response.status_code in (200, 201, 302), (response.status_code, response.content[:300])
        return
    assert response.status_code == _refusal(role), (response.status_code, response.content[:300])
    assert resource.snapshot(obj) == before and resource.count(obj) == count
