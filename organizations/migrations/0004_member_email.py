"""`member_email(org_id, member)`: a fellow member's email address, for the members list. The API
role may not read `auth.users`; this answers only for a user who is a member of an organization the
caller is a member of too (else NULL)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION public.member_email(org_id uuid, member uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $f$
    SELECT u.email::text FROM auth.users u
     WHERE u.id = member
       AND EXISTS (SELECT 1 FROM public.organization_members m WHERE m.organization_id = org_id AND m.user_id = member)
       AND EXISTS (SELECT 1 FROM public.organization_members m
                    WHERE m.organization_id = org_id AND m.user_id = (select auth.uid()))
$f$;
REVOKE ALL ON FUNCTION public.member_email(uuid, uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.member_email(uuid, uuid) TO authenticated, service_role;
"""


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_roles_and_personal_organizations")]

    operations = [migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS public.member_email(uuid, uuid);")]
