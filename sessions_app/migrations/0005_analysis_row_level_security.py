from django.db import migrations

from core.operations import CreatePolicy, EnableRLS, GrantTable

OWNER = "user_id = (select auth.uid())"


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0004_analysis_sessions_session_storage")]

    operations = [
        EnableRLS("analysis_sessions"),
        GrantTable("analysis_sessions"),
        CreatePolicy("analysis_sessions", "analysis_sessions_owner", using=OWNER, check=OWNER),
        EnableRLS("session_storage"),
        GrantTable("session_storage"),
        # user_id is the session's owner (trigger owner_is_session_owner), so this is "my sessions' values".
        CreatePolicy("session_storage", "session_storage_owner", using=OWNER, check=OWNER),
    ]
