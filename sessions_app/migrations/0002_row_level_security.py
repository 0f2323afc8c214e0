from django.db import migrations

from core.operations import OwnerOnlyRLS

SESSION_OWNER = "EXISTS (SELECT 1 FROM research_sessions s WHERE s.id = session_id AND s.user_id = (select auth.uid()))"


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0001_initial")]

    operations = [
        OwnerOnlyRLS("research_sessions", "research_sessions_owner"),
        OwnerOnlyRLS("draft_files", "draft_files_session_owner", owner=SESSION_OWNER),
    ]
