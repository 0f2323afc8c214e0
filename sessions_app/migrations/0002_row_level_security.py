from django.db import migrations

from core.operations import CreatePolicy, EnableRLS, GrantTable

OWNER = "user_id = (select auth.uid())"
SESSION_OWNER = "EXISTS (SELECT 1 FROM research_sessions s WHERE s.id = session_id AND s.user_id = (select auth.uid()))"


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0001_initial")]

    operations = [
        EnableRLS("research_sessions"),
        GrantTable("research_sessions"),
        CreatePolicy("research_sessions", "research_sessions_owner", using=OWNER, check=OWNER),
        EnableRLS("draft_files"),
        GrantTable("draft_files"),
        CreatePolicy("draft_files", "draft_files_session_owner", using=SESSION_OWNER, check=SESSION_OWNER),
    ]
