"""The seed's helper functions and the organizations' row-level security.

Functions (all SECURITY DEFINER, so a policy of `organization_members` can ask about membership
without recursing into its own policies; STABLE; `search_path` pinned empty, so every name is
schema-qualified; EXECUTE revoked from PUBLIC and `anon`, granted to `authenticated` and
`service_role`):

- `is_org_member(org_id)`: the caller (`auth.uid()`) is a member of the organization, any role;
- `is_org_admin(org_id)`: … with role `owner` or `admin`;
- `org_role(org_id)`: the caller's role there, or NULL (ours: the policies that tell viewers from
  writers and owners from admins);
- `is_admin()`: the caller is a *platform* administrator: the service role, or a user whose
  `auth.users.raw_app_meta_data` says `"platform_admin": true` (app metadata: set by staff or the
  service role only, never by the user). It lets them read every organization and membership.

And two that change membership, so that nobody joins an organization without consent (there is no
INSERT policy on `organization_members` for the API role):

- `create_organization(name, slug)`: a new organization with the caller as its owner;
- `accept_organization_invitation(token_hash)`: joins the caller to the invitation's organization
  when it is open, unexpired and addressed to the caller's email; marks it used.
"""

from django.db import migrations

from core.operations import CreatePolicy, EnableRLS, GrantTable

HEADER = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''"

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION public.org_role(org_id uuid) RETURNS text {HEADER} AS $f$
    SELECT m.role FROM public.organization_members m
     WHERE m.organization_id = org_id AND m.user_id = (select auth.uid())
$f$;
CREATE OR REPLACE FUNCTION public.is_org_member(org_id uuid) RETURNS boolean {HEADER} AS $f$
    SELECT EXISTS (SELECT 1 FROM public.organization_members m
                    WHERE m.organization_id = org_id AND m.user_id = (select auth.uid()))
$f$;
CREATE OR REPLACE FUNCTION public.is_org_admin(org_id uuid) RETURNS boolean {HEADER} AS $f$
    SELECT EXISTS (SELECT 1 FROM public.organization_members m
                    WHERE m.organization_id = org_id AND m.user_id = (select auth.uid())
                      AND m.role IN ('owner', 'admin'))
$f$;
CREATE OR REPLACE FUNCTION public.is_admin() RETURNS boolean {HEADER} AS $f$
    SELECT coalesce((select auth.role()) = 'service_role', false)
        OR EXISTS (SELECT 1 FROM auth.users u
                    WHERE u.id = (select auth.uid()) AND u.raw_app_meta_data->'platform_admin' = 'true'::jsonb)
$f$;

-- The check of trigger keep_an_owner (organizations.models.Membership): may this owner's row go?
CREATE OR REPLACE FUNCTION public.organization_keeps_an_owner(org_id uuid, member_id uuid, member_user uuid)
RETURNS boolean {HEADER} AS $f$
    SELECT EXISTS (SELECT 1 FROM public.organization_members m
                    WHERE m.organization_id = org_id AND m.role = 'owner' AND m.id <> member_id)
        OR NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = org_id)
        OR NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = member_user)
$f$;

CREATE OR REPLACE FUNCTION public.create_organization(name text, slug text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $f$
DECLARE
    caller uuid := (select auth.uid());
    created uuid;
BEGIN
    IF caller IS NULL THEN
        RAISE EXCEPTION 'create_organization needs a signed-in user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO public.organizations (name, slug) VALUES (create_organization.name, create_organization.slug)
        RETURNING id INTO created;
    INSERT INTO public.organization_members (organization_id, user_id, role) VALUES (created, caller, 'owner');
    RETURN created;
END
$f$;

CREATE OR REPLACE FUNCTION public.accept_organization_invitation(token_hash text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $f$
DECLARE
    caller uuid := (select auth.uid());
    caller_email text;
    invitation public.organization_invitations%ROWTYPE;
BEGIN
    SELECT lower(u.email) INTO caller_email FROM auth.users u WHERE u.id = caller;
    IF caller_email IS NULL THEN
        RAISE EXCEPTION 'accepting an invitation needs a signed-in user' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO invitation FROM public.organization_invitations i
     WHERE i.token_hash = accept_organization_invitation.token_hash
       AND i.accepted_at IS NULL AND i.expires_at > statement_timestamp()
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no open invitation has this token' USING ERRCODE = 'no_data_found';
    END IF;
    IF invitation.email <> caller_email THEN
        RAISE EXCEPTION 'this invitation is addressed to another email' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO public.organization_members (organization_id, user_id, role)
         VALUES (invitation.organization_id, caller, invitation.role)
    ON CONFLICT (organization_id, user_id) DO NOTHING;  -- a member already keeps their role
    UPDATE public.organization_invitations SET accepted_at = statement_timestamp(), accepted_by_id = caller
     WHERE id = invitation.id;
    RETURN invitation.organization_id;
END
$f$;
"""

SIGNATURES = [
    "org_role(uuid)", "is_org_member(uuid)", "is_org_admin(uuid)", "is_admin()",
    "organization_keeps_an_owner(uuid, uuid, uuid)", "create_organization(text, text)", "accept_organization_invitation(text)",
]
# anon named too: Supabase's default privileges grant EXECUTE on new functions to it explicitly.
PRIVILEGES = "".join(
    f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC, anon;\n"
    f"GRANT EXECUTE ON FUNCTION public.{signature} TO authenticated, service_role;\n"
    for signature in SIGNATURES
)
DROP = "".join(f"DROP FUNCTION IF EXISTS public.{signature};\n" for signature in SIGNATURES)

MEMBER = "(select public.is_org_member({}))"
ADMIN = "(select public.is_org_admin({}))"
PLATFORM_ADMIN = "(select public.is_admin())"
# Admins manage members and invitations, but only an owner touches an owner's row or makes one.
MANAGES = "(select public.is_org_admin(organization_id)) AND (role <> 'owner' OR (select public.org_role(organization_id)) = 'owner')"
OWNER_OF = "(select public.org_role(id)) = 'owner'"


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTIONS + PRIVILEGES, DROP),
        # organizations: members view, admins update, owners delete (never a personal one). Created
        # only through create_organization() (and at sign-up, as the connection role).
        EnableRLS("organizations"),
        GrantTable("organizations", privileges=("SELECT", "UPDATE", "DELETE")),
        CreatePolicy("organizations", "organizations_members_view", command="SELECT",
                     using=f"{MEMBER.format('id')} OR {PLATFORM_ADMIN}"),
        CreatePolicy("organizations", "organizations_admins_update", command="UPDATE",
                     using=ADMIN.format("id"), check=ADMIN.format("id")),
        CreatePolicy("organizations", "organizations_owners_delete", command="DELETE",
                     using=f"{OWNER_OF} AND personal_for_id IS NULL"),
        # organization_members: members view, admins manage (change a role, remove), anyone leaves.
        # Joining goes through the two functions above; the last owner stays (trigger keep_an_owner).
        EnableRLS("organization_members"),
        GrantTable("organization_members", privileges=("SELECT", "UPDATE", "DELETE")),
        CreatePolicy("organization_members", "organization_members_members_view", command="SELECT",
                     using=f"{MEMBER.format('organization_id')} OR {PLATFORM_ADMIN}"),
        CreatePolicy("organization_members", "organization_members_admins_update", command="UPDATE",
                     using=MANAGES, check=MANAGES),
        CreatePolicy("organization_members", "organization_members_admins_remove_or_leave", command="DELETE",
                     using=f"({MANAGES}) OR user_id = (select auth.uid())"),
        # roles: anyone views; written by migrations only.
        EnableRLS("roles"),
        GrantTable("roles", privileges=("SELECT",), role="anon"),
        GrantTable("roles", privileges=("SELECT",)),
        CreatePolicy("roles", "roles_anyone_views", command="SELECT", using="true", roles=("anon", "authenticated")),
        # invitations: the organization's admins manage them (an owner invitation by an owner only).
        EnableRLS("organization_invitations"),
        GrantTable("organization_invitations"),
        CreatePolicy("organization_invitations", "organization_invitations_admins_manage", using=MANAGES, check=MANAGES),
    ]
