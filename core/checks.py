"""System checks of the tenancy contract (docs/tenancy.md), in the manner of `django.contrib.auth.checks`.

Always (`manage.py check`): every model that declares an owner (`owner_path`, as `OwnedModel` does)
reaches Supabase's `auth.users` through that path, and every model scoped by `OwnedQuerySet` declares one.
With `Tags.database` (`manage.py check --database default`, and before `migrate`): every owned table has
row-level security enabled and at least one policy, so a forgotten filter still leaks nothing.
"""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from core.models import OwnedQuerySet

AUTH_USERS_TABLE = '"auth"."users"'


def owned_models():
    """The managed models that declare an owner, or scope themselves otherwise (`visible_to`): the
    tables the two isolation layers must cover."""
    return [model for model in apps.get_models() if model._meta.managed
            and (getattr(model, "owner_path", None) or scopes_itself(model))]


def scopes_itself(model) -> bool:
    """Whether the model's queryset says itself which rows a user sees (OwnedQuerySet.visible_to)."""
    queryset = type(model._default_manager.all())
    return issubclass(queryset, OwnedQuerySet) and queryset.visible_to is not OwnedQuerySet.visible_to


def owner_of(model, path):
    """The model `path` (`user`, `session__user`) leads to from `model`, following forward relations
    only; None when a step is not a field or not a foreign key."""
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not field.concrete or not (field.many_to_one or field.one_to_one):
            return None
        model = field.related_model
    return model


@checks.register(checks.Tags.models)
def check_owners(app_configs=None, **kwargs):
    errors = []
    for model in apps.get_models():
        if app_configs is not None and model._meta.app_config not in app_configs:
            continue
        path = getattr(model, "owner_path", None)
        if path:
            owner = owner_of(model, path)
            if owner is None or owner._meta.db_table != AUTH_USERS_TABLE:
                reached = "nothing" if owner is None else owner._meta.label
                errors.append(checks.Error(
                    f"{model._meta.label}.owner_path {path!r} leads to {reached}, not auth.users.",
                    hint="owner_path names the chain of foreign keys from this model to its owning end "
                    "user (e.g. 'user' or 'session__user'); the last one must reference accounts.AuthUser.",
                    obj=model,
                    id="core.E001",
                ))
        elif isinstance(model._default_manager.all(), OwnedQuerySet) and not scopes_itself(model):
            errors.append(checks.Error(
                f"{model._meta.label} is scoped by OwnedQuerySet but declares no owner_path.",
                hint="Inherit core.models.OwnedModel, or set owner_path to the foreign keys that reach the owner.",
                obj=model,
                id="core.E002",
            ))
    return errors


@checks.register(checks.Tags.database)
def check_row_level_security(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        try:
            pending = _apps_with_pending_migrations(connection)
            models = [m for m in owned_models() if m._meta.app_label not in pending
                      and (app_configs is None or m._meta.app_config in app_configs)]
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT c.relname, c.relrowsecurity, count(p.polname)
                    FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
                    WHERE c.oid IN (SELECT to_regclass(quote_ident(t)) FROM unnest(%s::text[]) t)
                    GROUP BY c.relname, c.relrowsecurity
                    """,
                    [[model._meta.db_table for model in models]],
                )
                state = {name: (rls, policies) for name, rls, policies in cursor.fetchall()}
        except DatabaseError as exc:
            errors.append(checks.Warning(f"Could not inspect row-level security on {alias!r}: {exc}".strip(),
                                         id="core.W001"))
            continue
        for model in models:
            if model._meta.db_table not in state:
                continue  # not migrated yet
            rls, policies = state[model._meta.db_table]
            if not rls:
                errors.append(checks.Error(
                    f"{model._meta.db_table} ({model._meta.label}) is owned but has row-level security disabled.",
                    hint="Add core.operations.OwnerOnlyRLS (or EnableRLS + GrantTable + CreatePolicy) to a "
                    "migration of this app.",
                    obj=model,
                    id="core.E010",
                ))
            elif not policies:
                errors.append(checks.Error(
                    f"{model._meta.db_table} ({model._meta.label}) is owned but has no row-level security policy.",
                    hint="With RLS on and no policy the API role sees no row at all; add the owner's policy "
                    "(core.operations.CreatePolicy) in a migration of this app.",
                    obj=model,
                    id="core.E011",
                ))
    return errors


def _apps_with_pending_migrations(connection):
    """Apps whose migrations are not all applied: `migrate` runs these checks before it brings them up
    to date, so their tables are judged only once it has."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {migration.app_label for migration, _ in plan}
