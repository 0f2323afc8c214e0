from django.db import migrations

from core.operations import OwnerOnlyRLS


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0004_analysis_sessions_session_storage")]

    operations = [
        OwnerOnlyRLS("analysis_sessions", "analysis_sessions_owner"),
        # user_id is the session's owner (trigger owner_is_session_owner), so this is "my sessions' values".
        OwnerOnlyRLS("session_storage", "session_storage_owner"),
    ]
