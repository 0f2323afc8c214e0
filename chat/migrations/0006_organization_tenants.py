"""Chats are filed in the organization their owner acts in (`accounts.tenancy.tenant_for(user,
request)`), no longer always the personal one. What the database holds to:

- a chat session is still its owner's alone (read, change, delete), and is written only into an
  organization its owner belongs to: the personal one (its id is the user's), or one where
  `is_org_member()` (seed 002) says so;
- a member who leaves an organization (or is removed, or sees it deleted) takes their chats in it
  home to their personal organization (trigger on `organization_members`), so a chat is never
  stranded in an organization its owner may no longer write in;
- chat_messages' composite foreign key to `(chat_sessions.id, tenant_id)` stays, now ON UPDATE
  CASCADE too: a message's tenant is its session's, also when the session moves home;
- a GA4 credential is its user's own grant, one per user and property: always in the personal
  organization (CHECK `tenant_id = user_id`), usable from the user's chats in any organization.
"""

from django.db import migrations, models

from core.operations import OWNER

IN_MEMBER_TENANT = f"{OWNER} AND (tenant_id = user_id OR (select public.is_org_member(tenant_id)))"

POLICY = f"""
DROP POLICY "chat_sessions_owner" ON "chat_sessions";
CREATE POLICY "chat_sessions_owner" ON "chat_sessions" FOR ALL TO "authenticated"
    USING ({OWNER}) WITH CHECK ({IN_MEMBER_TENANT});
"""
OLD_POLICY = f"""
DROP POLICY "chat_sessions_owner" ON "chat_sessions";
CREATE POLICY "chat_sessions_owner" ON "chat_sessions" FOR ALL TO "authenticated" USING ({OWNER}) WITH CHECK ({OWNER});
"""


def _composite_fk(on_update: str) -> str:
    return f"""
ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_tenant_fkey;
ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_session_tenant_fkey FOREIGN KEY (session_id, tenant_id)
    REFERENCES chat_sessions (id, tenant_id) ON DELETE CASCADE{on_update};
"""


# SECURITY DEFINER: an admin who removes a member cannot see (and must not) the member's chats. Not
# for the personal organization, nor while the user itself is being deleted (their chats go too).
HOME_ON_LEAVE = """
CREATE FUNCTION public.chat_sessions_home_on_leave() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $f$
BEGIN
    IF OLD.organization_id <> OLD.user_id AND EXISTS (SELECT 1 FROM auth.users u WHERE u.id = OLD.user_id) THEN
        UPDATE public.chat_sessions SET tenant_id = OLD.user_id
         WHERE user_id = OLD.user_id AND tenant_id = OLD.organization_id;
    END IF;
    RETURN NULL;
END
$f$;
REVOKE ALL ON FUNCTION public.chat_sessions_home_on_leave() FROM PUBLIC, anon, authenticated;  -- a trigger's only
CREATE TRIGGER chat_sessions_home_on_leave AFTER DELETE ON public.organization_members
    FOR EACH ROW EXECUTE FUNCTION public.chat_sessions_home_on_leave();
"""
DROP_HOME_ON_LEAVE = """
DROP TRIGGER IF EXISTS chat_sessions_home_on_leave ON public.organization_members;
DROP FUNCTION IF EXISTS public.chat_sessions_home_on_leave();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_mfa_required'),
        ('chat', '0005_tenant_is_personal_organization'),
        ('organizations', '0004_member_email'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='ga4credential',
            constraint=models.CheckConstraint(condition=models.Q(('tenant_id', models.F('user'))), name='ga4_credentials_tenant_personal'),
        ),
        migrations.RunSQL(_composite_fk(" ON UPDATE CASCADE"), _composite_fk("")),
        migrations.RunSQL(POLICY, OLD_POLICY),
        migrations.RunSQL(HOME_ON_LEAVE, DROP_HOME_ON_LEAVE),
    ]
