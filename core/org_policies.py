"""The org-aware row-level security pattern (seed 002: workflows, user_integrations), one operation:

    OrgAwareRLS("workflows")

Rows have an owner (`user_id`) and may belong to an organization (`organization_id`, nullable):

- read: one's own rows, and the organization's rows when a member (any role, viewers included);
- create: rows of one's own, in an organization only as a writer (owner, admin, member — not viewer);
- change and delete: one's own rows (in an organization still as a writer), and every row of the
  organization as its admin or owner.

The policies call the organizations app's SQL functions (`public.is_org_member`, `public.org_role`,
`public.is_org_admin`: SECURITY DEFINER, so they never recurse into `organization_members`' own
policies), each as `(select …)`. A migration using it depends on `("organizations", "0002_…")`.
"""

from core.operations import CreatePolicy, EnableRLS, GrantTable, OwnerOnlyRLS

WRITER_ROLES = "('owner', 'admin', 'member')"


def expressions(owner: str = "user_id", organization: str = "organization_id") -> dict:
    """The pattern's SQL expressions by name (`read`, `create`, `change`), for policies of other shapes."""
    own = f"{owner} = (select auth.uid())"
    member = f"({organization} IS NOT NULL AND (select public.is_org_member({organization})))"
    writer = f"({organization} IS NULL OR (select public.org_role({organization})) IN {WRITER_ROLES})"
    admin = f"({organization} IS NOT NULL AND (select public.is_org_admin({organization})))"
    return {
        "read": f"{own} OR {member}",
        "create": f"{own} AND {writer}",
        "change": f"({own} AND {writer}) OR {admin}",
    }


class OrgAwareRLS(OwnerOnlyRLS):
    """Enable RLS on `table`, grant the API role every row privilege, and the four policies
    `<table>_org_read`, `_org_create`, `_org_change`, `_org_delete` (applied and reversed as
    OwnerOnlyRLS applies its parts)."""

    def __init__(self, table, *, owner="user_id", organization="organization_id"):
        self.table, self.owner, self.organization = table, owner, organization

    def deconstruct(self):
        kwargs = {}
        if self.owner != "user_id":
            kwargs["owner"] = self.owner
        if self.organization != "organization_id":
            kwargs["organization"] = self.organization
        return self.__class__.__qualname__, [self.table], kwargs

    def parts(self):
        sql = expressions(self.owner, self.organization)
        return [
            EnableRLS(self.table),
            GrantTable(self.table),
            CreatePolicy(self.table, f"{self.table}_org_read", command="SELECT", using=sql["read"]),
            CreatePolicy(self.table, f"{self.table}_org_create", command="INSERT", check=sql["create"]),
            CreatePolicy(self.table, f"{self.table}_org_change", command="UPDATE", using=sql["change"], check=sql["change"]),
            CreatePolicy(self.table, f"{self.table}_org_delete", command="DELETE", using=sql["change"]),
        ]

    def describe(self):
        return f"Org-aware row-level security on {self.table}"
