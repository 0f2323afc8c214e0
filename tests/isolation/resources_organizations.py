"""The membership dimension of the isolation matrix, declared once (test_membership_matrix.py):
every resource that lives in an organization is tried by five people — an outsider and a viewer,
member, admin and owner of its organization — with list, read, create, update and delete, through
the API and the pages, with and without the application's scoping (RLS alone).

An outsider gets 404 (the organization and its rows do not exist for them); a member whose role may
not do something gets 403; `allowed` says which roles may do what. The object a test acts on was
made by *another* member (`author`, role member), so "a member changes their own row" is not what is
tried: "a member changes a colleague's row" is.

A resource joins by one `InOrganization(...)` in ORG_RESOURCES (e.g. workflows: make a workflow of
`author` in `organization`, collection "/api/v1/workflows/" with `header=True`, so the requests name
the organization in `X-Organization-Id`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from organizations import services
from organizations.models import Membership

ROLES = ("outsider", "viewer", "member", "admin", "owner")
ACTIONS = ("list", "read", "create", "update", "delete")
READ = frozenset({"list", "read"})
EVERYTHING = frozenset(ACTIONS)


@dataclass(frozen=True)
class Page:
    method: str  # "get" or "post"
    url: Callable  # url(obj) -> path
    form: dict | None = None


@dataclass(frozen=True)
class InOrganization:
    name: str
    make: Callable  # make(organization, author) -> an object of the organization, made by `author`
    api_collection: Callable  # api_collection(organization) -> the list/create URL
    allowed: dict  # role -> the actions it may do (roles left out may do nothing)
    create: dict | None = None  # a valid POST body (None: the resource has no create)
    update: dict | None = None  # a valid PATCH body (None: no update)
    header: bool = False  # the collection takes its organization from X-Organization-Id
    nested: bool = True  # the collection is under the organization's URL: an outsider's list is a 404
    pages: dict = field(default_factory=dict)  # action -> Page

    @property
    def actions(self):
        return tuple(a for a in ACTIONS if (a != "create" or self.create is not None) and (a != "update" or self.update is not None))

    def api_detail(self, obj, organization):
        return f"{self.api_collection(organization)}{obj.pk}/"

    def may(self, role, action) -> bool:
        return action in self.allowed.get(role, ())

    def snapshot(self, obj):
        return type(obj)._base_manager.filter(pk=obj.pk).values().first()

    def count(self, obj):
        return type(obj)._base_manager.count()


def _membership(organization, author):
    return Membership.objects.get(organization=organization, user=author)


def _invitation(organization, author):
    owner = Membership.objects.filter(organization=organization, role="owner").first()
    return services.invite(owner, "invitee@example.com", "member").invitation


ORG_RESOURCES = [
    InOrganization(
        name="organization",
        make=lambda organization, author: organization,
        api_collection=lambda organization: "/api/v1/organizations/",
        update={"name": "Renamed by someone"},
        nested=False,
        allowed={"viewer": READ, "member": READ, "admin": READ | {"update"}, "owner": EVERYTHING},
        pages={
            "read": Page("get", lambda obj: f"/organizations/{obj.pk}/"),
            "update": Page("post", lambda obj: f"/organizations/{obj.pk}/", {"name": "Renamed by someone", "slug": "renamed-by-someone"}),
            "delete": Page("post", lambda obj: f"/organizations/{obj.pk}/delete/"),
        },
    ),
    InOrganization(
        name="member",
        make=_membership,
        api_collection=lambda organization: f"/api/v1/organizations/{organization.pk}/members/",
        update={"role": "viewer"},
        allowed={"viewer": READ, "member": READ, "admin": EVERYTHING, "owner": EVERYTHING},
        pages={
            "update": Page("post", lambda obj: f"/organizations/{obj.organization_id}/members/{obj.pk}/role/", {"role": "viewer"}),
            "delete": Page("post", lambda obj: f"/organizations/{obj.organization_id}/members/{obj.pk}/remove/"),
        },
    ),
    InOrganization(
        name="invitation",
        make=_invitation,
        api_collection=lambda organization: f"/api/v1/organizations/{organization.pk}/invitations/",
        create={"email": "planted@example.com", "role": "member"},
        allowed={"admin": EVERYTHING, "owner": EVERYTHING},
        pages={
            "create": Page("post", lambda obj: f"/organizations/{obj.organization_id}/invitations/", {"email": "planted@example.com", "role": "member"}),
            "delete": Page("post", lambda obj: f"/organizations/{obj.organization_id}/invitations/{obj.pk}/revoke/"),
        },
    ),
]


from tests.isolation import resources_workflows_org  # noqa: E402 - each app declares its resources in its own file

ORG_RESOURCES += resources_workflows_org.ORG_RESOURCES
