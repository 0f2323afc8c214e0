"""Migration operations for row-level security: enable it, create policies, grant the API role.

Used in every app's migrations, so policies and grants are versioned with the tables they protect.
A table only its owner reads and writes takes one operation:

    OwnerOnlyRLS("research_sessions", "research_sessions_owner"),
    OwnerOnlyRLS("draft_files", "draft_files_session_owner", owner="EXISTS (SELECT 1 FROM ...)"),

Other patterns compose the parts: `EnableRLS`, `ForceRLS`, `GrantTable`, `CreatePolicy`.
"""

from django.db.migrations.operations.base import Operation

API_ROLE = "authenticated"
OWNER = "user_id = (select auth.uid())"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _SQLOperation(Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def forward_sql(self) -> str:
        raise NotImplementedError

    def backward_sql(self) -> str:
        raise NotImplementedError

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(self.forward_sql())

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(self.backward_sql())


class EnableRLS(_SQLOperation):
    """Turn on row-level security. The table owner (the connection role used by the admin and by
    background jobs) is not subject to it; the `authenticated` role is."""

    def __init__(self, table):
        self.table = table

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table], {}

    def forward_sql(self):
        return f"ALTER TABLE {_quote(self.table)} ENABLE ROW LEVEL SECURITY"

    def backward_sql(self):
        return f"ALTER TABLE {_quote(self.table)} DISABLE ROW LEVEL SECURITY"

    def describe(self):
        return f"Enable row-level security on {self.table}"


class ForceRLS(_SQLOperation):
    """`FORCE ROW LEVEL SECURITY` (zero trust): the table owner is held to the policies too. Roles
    with BYPASSRLS, superusers among them, still are not: see docs/privacy.md."""

    def __init__(self, table):
        self.table = table

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table], {}

    def forward_sql(self):
        return f"ALTER TABLE {_quote(self.table)} FORCE ROW LEVEL SECURITY"

    def backward_sql(self):
        return f"ALTER TABLE {_quote(self.table)} NO FORCE ROW LEVEL SECURITY"

    def describe(self):
        return f"Force row-level security on {self.table}"


class CreatePolicy(_SQLOperation):
    """`CREATE POLICY name ON table FOR command TO roles USING (...) WITH CHECK (...)`.

    Write expressions with `(select auth.uid())`, evaluated once per statement. A `restrictive`
    policy (`AS RESTRICTIVE`) must hold on top of the permissive ones: a further condition, never a
    way in on its own."""

    COMMANDS = {"ALL", "SELECT", "INSERT", "UPDATE", "DELETE"}

    def __init__(self, table, name, *, using=None, check=None, command="ALL", roles=(API_ROLE,), restrictive=False):
        if command not in self.COMMANDS:
            raise ValueError(f"command must be one of {sorted(self.COMMANDS)}")
        if command == "INSERT" and using:
            raise ValueError("an INSERT policy takes only `check`")
        self.table, self.name, self.using, self.check, self.command, self.roles = table, name, using, check, command, tuple(roles)
        self.restrictive = restrictive

    def deconstruct(self):
        kwargs = {"using": self.using, "check": self.check, "command": self.command, "roles": self.roles}
        if self.restrictive:
            kwargs["restrictive"] = True
        return self.__class__.__qualname__, [self.table, self.name], kwargs

    def forward_sql(self):
        sql = f"CREATE POLICY {_quote(self.name)} ON {_quote(self.table)}{' AS RESTRICTIVE' if self.restrictive else ''}"
        sql += f" FOR {self.command} TO {', '.join(map(_quote, self.roles))}"
        if self.using:
            sql += f" USING ({self.using})"
        if self.check:
            sql += f" WITH CHECK ({self.check})"
        return sql

    def backward_sql(self):
        return f"DROP POLICY IF EXISTS {_quote(self.name)} ON {_quote(self.table)}"

    def describe(self):
        return f"Create policy {self.name} on {self.table}"


class GrantTable(_SQLOperation):
    """Grant table privileges to the API role (Supabase grants them by default; a plain PostgreSQL
    does not). Row-level security then decides which rows."""

    def __init__(self, table, privileges=("SELECT", "INSERT", "UPDATE", "DELETE"), role=API_ROLE):
        self.table, self.privileges, self.role = table, tuple(privileges), role

    def deconstruct(self):
        return self.__class__.__qualname__, [self.table], {"privileges": self.privileges, "role": self.role}

    def forward_sql(self):
        return f"GRANT {', '.join(self.privileges)} ON TABLE {_quote(self.table)} TO {_quote(self.role)}"

    def backward_sql(self):
        return f"REVOKE {', '.join(self.privileges)} ON TABLE {_quote(self.table)} FROM {_quote(self.role)}"

    def describe(self):
        return f"Grant {', '.join(self.privileges)} on {self.table} to {self.role}"


class OwnerOnlyRLS(Operation):
    """The owner-only set: enable RLS, grant the API role every row privilege, and one policy for every
    command whose `USING` and `WITH CHECK` are the same owner expression."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table, policy, *, owner=OWNER):
        self.table, self.policy, self.owner = table, policy, owner

    def deconstruct(self):
        kwargs = {} if self.owner == OWNER else {"owner": self.owner}
        return self.__class__.__qualname__, [self.table, self.policy], kwargs

    def parts(self):
        return [EnableRLS(self.table), GrantTable(self.table),
                CreatePolicy(self.table, self.policy, using=self.owner, check=self.owner)]

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for part in self.parts():
            part.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for part in reversed(self.parts()):
            part.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Owner-only row-level security on {self.table} (policy {self.policy})"
