"""The seed's helper functions and the organizations' policies, called directly in SQL under
`role authenticated` with a user's claims (as PostgREST runs a request), and as `anon`."""

import pytest
from django.db import DatabaseError, connection, transaction

from core import rls
from organizations.models import Invitation, Membership, Organization, Role

pytestmark = pytest.mark.django_db

FUNCTIONS = ["is_org_member", "is_org_admin", "org_role"]


def one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def as_user(user):
    return rls.end_user(rls.claims_for(user))


@pytest.fixture
def org(make_org, user_a, user_b, make_user):
    """Alice owns it; Bob is a viewer; Carol a member; Dave an admin. Eve is an outsider."""
    carol, dave = make_user("carol@example.com"), make_user("dave@example.com")
    organization = make_org(user_a, viewer=[user_b], member=[carol], admin=[dave])
    organization.people = {"owner": user_a, "viewer": user_b, "member": carol, "admin": dave,
                           "outsider": make_user("eve@example.com")}
    return organization


@pytest.mark.parametrize("who, member, admin, role", [
    ("owner", True, True, "owner"), ("admin", True, True, "admin"), ("member", True, False, "member"),
    ("viewer", True, False, "viewer"), ("outsider", False, False, None),
])
def test_helper_functions_answer_for_the_caller(org, who, member, admin, role):
    with as_user(org.people[who]):
        assert one("SELECT public.is_org_member(%s)", [org.pk]) is member
        assert one("SELECT public.is_org_admin(%s)", [org.pk]) is admin
        assert one("SELECT public.org_role(%s)", [org.pk]) == role
        assert one("SELECT public.is_admin()") is False


def test_is_admin_is_the_platform_admin_flag_of_app_metadata(user_a, make_user):
    admin = make_user("root@example.com", raw_app_meta_data={"provider": "email", "platform_admin": True})
    with as_user(admin):
        assert one("SELECT public.is_admin()") is True
    with as_user(user_a):  # a user's own metadata (raw_user_meta_data) is not it
        assert one("SELECT public.is_admin()") is False


def test_helpers_are_security_definer_stable_with_a_pinned_search_path():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT p.proname, p.prosecdef, p.provolatile, p.proconfig FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND p.proname IN ('is_org_member', 'is_org_admin', 'org_role', 'is_admin')""")
        rows = {name: rest for name, *rest in cursor.fetchall()}
    assert set(rows) == {"is_org_member", "is_org_admin", "org_role", "is_admin"}
    assert all(definer and volatility == "s" and config == ['search_path=""'] for definer, volatility, config in rows.values())


@pytest.mark.parametrize("call", ["is_org_member(gen_random_uuid())", "is_org_admin(gen_random_uuid())",
                                  "org_role(gen_random_uuid())", "is_admin()",
                                  "create_organization('x', 'x')", "accept_organization_invitation('x')"])
def test_anon_may_not_execute_them(call):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', 'anon', true)")
        with pytest.raises(DatabaseError, match="permission denied for function"), transaction.atomic():
            cursor.execute(f"SELECT public.{call}")


def test_policies_do_not_recurse(org):
    """organization_members' own SELECT policy asks is_org_member(): a plain read of the table as a
    member returns the rows instead of 'infinite recursion detected in policy'."""
    with as_user(org.people["viewer"]):
        assert one("SELECT count(*) FROM organization_members WHERE organization_id = %s", [org.pk]) == 4
        assert one("SELECT count(*) FROM organizations WHERE id = %s", [org.pk]) == 1
    with as_user(org.people["outsider"]):
        assert one("SELECT count(*) FROM organization_members WHERE organization_id = %s", [org.pk]) == 0
        assert one("SELECT count(*) FROM organizations WHERE id = %s", [org.pk]) == 0


@pytest.mark.parametrize("who, changed", [("owner", 1), ("admin", 1), ("member", 0), ("viewer", 0), ("outsider", 0)])
def test_admins_update_the_organization(org, who, changed):
    with as_user(org.people[who]), connection.cursor() as cursor:
        cursor.execute("UPDATE organizations SET name = 'Renamed' WHERE id = %s", [org.pk])
        assert cursor.rowcount == changed


@pytest.mark.parametrize("who, target, changed", [
    ("owner", "member", 1), ("admin", "member", 1), ("admin", "viewer", 1),
    ("admin", "owner", 0),  # an admin can't demote an owner
    ("member", "viewer", 0), ("viewer", "member", 0), ("outsider", "member", 0),
])
def test_admins_change_roles_but_not_an_owners(org, who, target, changed):
    row = Membership.objects.get(organization=org, user=org.people[target])
    with as_user(org.people[who]), connection.cursor() as cursor:
        cursor.execute("UPDATE organization_members SET role = 'viewer' WHERE id = %s", [row.pk])
        assert cursor.rowcount == changed


def test_an_admin_cannot_make_an_owner(org):
    row = Membership.objects.get(organization=org, user=org.people["member"])
    with as_user(org.people["admin"]), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE organization_members SET role = 'owner' WHERE id = %s", [row.pk])


def test_nobody_adds_a_member_directly(org):
    with as_user(org.people["owner"]), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute("INSERT INTO organization_members (organization_id, user_id, role) VALUES (%s, %s, 'member')",
                           [org.pk, org.people["outsider"].pk])


def test_the_last_owner_can_neither_leave_nor_be_demoted(org):
    owner = Membership.objects.get(organization=org, user=org.people["owner"])
    with as_user(org.people["owner"]), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="would have no owner"), transaction.atomic():
            cursor.execute("DELETE FROM organization_members WHERE id = %s", [owner.pk])
        with pytest.raises(DatabaseError, match="would have no owner"), transaction.atomic():
            cursor.execute("UPDATE organization_members SET role = 'admin' WHERE id = %s", [owner.pk])
    Membership.objects.filter(organization=org, user=org.people["admin"]).update(role=Role.OWNER)
    with as_user(org.people["owner"]), connection.cursor() as cursor:
        cursor.execute("DELETE FROM organization_members WHERE id = %s", [owner.pk])  # another owner remains
        assert cursor.rowcount == 1


def test_deleting_an_organization_or_its_last_owner_user_is_not_blocked(org, user_a):
    personal = Organization.objects.get(pk=user_a.pk)
    user_a.delete()
    assert not Organization.objects.filter(pk=personal.pk).exists()
    assert not Membership.objects.filter(user_id=user_a.pk).exists()
    org.delete()
    assert not Membership.objects.filter(organization_id=org.pk).exists()


def test_create_organization_makes_the_caller_owner(user_b):
    with as_user(user_b):
        created = one("SELECT public.create_organization('Bob Co', 'bob-co')")
        assert one("SELECT public.org_role(%s)", [created]) == "owner"


def test_an_invitation_is_accepted_once_by_its_addressee(org, make_user):
    invitee = make_user("frank@example.com")
    Invitation.objects.create(organization=org, email="frank@example.com", role=Role.MEMBER, token_hash="h" * 64,
                              invited_by=org.people["owner"], expires_at="2999-01-01T00:00:00Z")
    with as_user(org.people["outsider"]), pytest.raises(DatabaseError, match="another email"), transaction.atomic():
        one("SELECT public.accept_organization_invitation(%s)", ["h" * 64])
    with as_user(invitee):
        assert one("SELECT public.accept_organization_invitation(%s)", ["h" * 64]) == org.pk
        assert one("SELECT public.org_role(%s)", [org.pk]) == "member"
    with as_user(invitee), pytest.raises(DatabaseError, match="no open invitation"), transaction.atomic():
        one("SELECT public.accept_organization_invitation(%s)", ["h" * 64])


def test_every_user_has_a_personal_organization_with_their_id(user_a):
    personal = Organization.objects.get(pk=user_a.pk)
    assert personal.personal_for_id == user_a.pk and personal.is_personal
    assert Membership.objects.get(organization=personal).role == Role.OWNER
    with pytest.raises(DatabaseError), transaction.atomic():
        Organization.objects.filter(pk=personal.pk).update(personal_for=None)


def test_roles_are_readable_by_anon():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', 'anon', true)")
        cursor.execute("SELECT name FROM roles ORDER BY created_at")
        assert [r[0] for r in cursor.fetchall()] == ["owner", "admin", "member", "viewer"]
