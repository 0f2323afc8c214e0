"""The role catalogue, and a personal organization (owned by its user, with the user's id) for every
user that existed before organizations: the one `accounts.tenancy.tenant_for()` names."""

from django.db import migrations

ROLES = [
    ("owner", "Everything an admin does, plus managing owners and deleting the organization.",
     ["organization.view", "organization.update", "organization.delete", "members.view", "members.manage",
      "owners.manage", "invitations.manage", "resources.read", "resources.write", "resources.manage"]),
    ("admin", "Manages the organization: its settings, members (not owners), invitations and every member's resources.",
     ["organization.view", "organization.update", "members.view", "members.manage", "invitations.manage",
      "resources.read", "resources.write", "resources.manage"]),
    ("member", "Reads the organization's resources and creates and changes their own there.",
     ["organization.view", "members.view", "resources.read", "resources.write"]),
    ("viewer", "Reads the organization's resources; writes nothing.",
     ["organization.view", "members.view", "resources.read"]),
]

PERSONAL = """
INSERT INTO organizations (id, name, slug, personal_for_id)
     SELECT u.id, 'Personal', 'personal-' || replace(u.id::text, '-', ''), u.id FROM auth.users u
ON CONFLICT (id) DO NOTHING;
INSERT INTO organization_members (organization_id, user_id, role)
     SELECT o.id, o.personal_for_id, 'owner' FROM organizations o WHERE o.personal_for_id IS NOT NULL
ON CONFLICT (organization_id, user_id) DO NOTHING;
"""


def add_roles(apps, schema_editor):
    RoleDefinition = apps.get_model("organizations", "RoleDefinition")
    for name, description, permissions in ROLES:
        RoleDefinition.objects.update_or_create(name=name, defaults={"description": description, "permissions": permissions})


class Migration(migrations.Migration):
    dependencies = [("organizations", "0002_functions_and_policies"), ("accounts", "0005_mfa_required")]

    operations = [
        migrations.RunPython(add_roles, migrations.RunPython.noop),
        migrations.RunSQL(PERSONAL, migrations.RunSQL.noop),
    ]
