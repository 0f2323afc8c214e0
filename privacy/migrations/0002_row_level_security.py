from django.db import migrations

from core.operations import OWNER, CreatePolicy, EnableRLS, ForceRLS, GrantTable, OwnerOnlyRLS

OWNER_ONLY = ["app_allowlist", "signal_toggles", "file_events", "patterns", "relationships",
              "privacy_device_tokens", "privacy_gate_drops"]


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [
        *(OwnerOnlyRLS(table, f"{table}_owner") for table in OWNER_ONLY),
        # Zero trust (seed: "Users can ONLY view/insert own (no admin bypass)"): forced, so the table
        # owner is held to the same policies.
        OwnerOnlyRLS("privacy_prefs", "privacy_prefs_owner"),
        ForceRLS("privacy_prefs"),
        # Telemetry: read, add and delete one's own ("Delete my telemetry"); never changed.
        EnableRLS("telemetry_events"),
        ForceRLS("telemetry_events"),
        GrantTable("telemetry_events", privileges=("SELECT", "INSERT", "DELETE")),
        CreatePolicy("telemetry_events", "telemetry_events_select_own", command="SELECT", using=OWNER),
        CreatePolicy("telemetry_events", "telemetry_events_insert_own", command="INSERT", check=OWNER),
        CreatePolicy("telemetry_events", "telemetry_events_delete_own", command="DELETE", using=OWNER),
        # The transparency log: read and append one's own; the triggers refuse any change.
        EnableRLS("privacy_transparency_log"),
        ForceRLS("privacy_transparency_log"),
        GrantTable("privacy_transparency_log", privileges=("SELECT", "INSERT")),
        CreatePolicy("privacy_transparency_log", "privacy_transparency_log_select_own", command="SELECT", using=OWNER),
        CreatePolicy("privacy_transparency_log", "privacy_transparency_log_insert_own", command="INSERT", check=OWNER),
        # Retention runs: staff only (RLS on, no policy, no grant).
        EnableRLS("privacy_retention_runs"),
    ]
