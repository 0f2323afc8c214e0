"""PostgreSQL backend that writes a foreign key's `db_on_delete` into its constraint.

Django 5.2 emulates ON DELETE in Python only. Rows of ours reference `auth.users`, which Supabase
deletes with SQL, so the database itself must cascade (or set null): see `core.fields.ForeignKey`.
"""

from django.db.backends.postgresql import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    # Adding a column with a foreign key goes through _create_fk_sql too.
    sql_create_column_inline_fk = None

    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        action = getattr(field, "db_on_delete", None)
        if action:
            statement.parts["deferrable"] = f" ON DELETE {action}{statement.parts['deferrable']}"
        return statement


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
