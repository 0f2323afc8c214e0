from django.db import models

ON_DELETE_ACTIONS = {"CASCADE", "SET NULL", "RESTRICT"}


class ForeignKey(models.ForeignKey):
    """A foreign key whose ON DELETE is enforced by PostgreSQL, not emulated by Django.

    Deleting the parent row by any route (Django, Supabase, SQL) has the same effect, and Django
    issues one DELETE instead of collecting children first.
    """

    def __init__(self, to, *, db_on_delete="CASCADE", **kwargs):
        if db_on_delete not in ON_DELETE_ACTIONS:
            raise ValueError(f"db_on_delete must be one of {sorted(ON_DELETE_ACTIONS)}")
        self.db_on_delete = db_on_delete
        kwargs["on_delete"] = models.DO_NOTHING
        if db_on_delete == "SET NULL":
            kwargs.setdefault("null", True)
        super().__init__(to, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("on_delete", None)
        kwargs["db_on_delete"] = self.db_on_delete
        return name, path, args, kwargs
