"""Tenants are organizations now: a user's rows belong to their personal organization, whose id is
the user's (organizations 0003). Rows written before carry that id already, since `tenant_for()`
returned the user id; any row that does not is moved to its owner's personal organization here.
chat_messages' composite foreign key to (chat_sessions.id, tenant_id) holds throughout: it is set
aside only while a session and its messages move together, and put back as it was."""

from django.db import migrations

MOVE = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM chat_sessions WHERE tenant_id <> user_id)
       OR EXISTS (SELECT 1 FROM ga4_credentials WHERE tenant_id <> user_id) THEN
        SET CONSTRAINTS ALL IMMEDIATE;  -- no deferred check may be pending on a table being altered
        ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_session_tenant_fkey;
        UPDATE chat_sessions SET tenant_id = user_id WHERE tenant_id <> user_id;
        UPDATE chat_messages m SET tenant_id = s.tenant_id
          FROM chat_sessions s WHERE s.id = m.session_id AND m.tenant_id <> s.tenant_id;
        UPDATE ga4_credentials SET tenant_id = user_id WHERE tenant_id <> user_id;
        ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_session_tenant_fkey
            FOREIGN KEY (session_id, tenant_id) REFERENCES chat_sessions (id, tenant_id) ON DELETE CASCADE;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0004_ga4_credentials_safe"),
        ("accounts", "0005_mfa_required"),
        ("organizations", "0003_roles_and_personal_organizations"),
    ]

    operations = [migrations.RunSQL(MOVE, migrations.RunSQL.noop)]
