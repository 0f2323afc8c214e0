"""Bases for every table of the product: uuid keys, timestamps kept by the database, owner scoping."""

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND

from core.fields import ForeignKey


class CreatedModel(models.Model):
    """uuid primary key (also defaulted in the database) and `created_at`: the base of rows that are
    written once (events, logs)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, db_default=models.Func(function="gen_random_uuid"))
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        abstract = True


class TimestampedModel(CreatedModel):
    """A `CreatedModel` with `updated_at` kept by a trigger, so writes that bypass Django keep it true."""

    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        abstract = True
        triggers = [
            pgtrigger.Trigger(
                name="set_updated_at",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                func="NEW.updated_at = statement_timestamp(); RETURN NEW;",
            )
        ]

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not adding:  # the trigger wrote updated_at: read back what the row now says
            self.updated_at = type(self)._base_manager.filter(pk=self.pk).values_list("updated_at", flat=True).get()


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """The CHECK constraint that backs a `TextChoices` field in the database: `field IN (values)`."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class OwnedQuerySet(models.QuerySet):
    """Scoping lives here, once: every view of a user-owned model starts from `for_user()`.
    `owner_path` on the model says how a row reaches its owner (`user` or `session__user`)."""

    def for_user(self, user):
        if user is None:
            return self.none()
        return self.filter(self.visible_to(user))

    def visible_to(self, user) -> models.Q:
        """The rows `user` may see. A queryset whose rows are reached otherwise than through one owner
        (an organization's members: organizations.scoping) overrides this, and needs no owner_path."""
        return models.Q(**{self.model.owner_path: user})

    def for_each_user(self, user):
        """`for_user(user)` of a queryset kept for many requests (a view's class-level `queryset`):
        the first call filters as `for_user` does and keeps the result on this queryset; later ones
        copy it with `user` in its owner lookup, the one condition that filter added, instead of
        Django building the same filter again (~0.1 ms a request). Only where that filter is one
        lookup of the model's own foreign key to an instance of its model; `for_user` otherwise.
        With `settings.SQL_CACHE_VERIFY` (the test suite) each copy is compared with `for_user`'s."""
        kept = self.__dict__.get("_owner_filtered")
        if kept is None or type(user) is not kept[1]:
            filtered = self.for_user(user)
            if kept is None and type(self).visible_to is OwnedQuerySet.visible_to and user is not None:
                before, after = self.query.where, filtered.query.where
                if (after.connector == before.connector == AND and not after.negated
                        and len(after.children) == len(before.children) + 1 and isinstance(after.children[-1], Lookup)
                        and "__" not in self.model.owner_path):
                    self._owner_filtered = (filtered, type(user))
            return filtered._chain()
        queryset = kept[0]._chain()
        where = queryset.query.where  # a copy: its list of conditions is the copy's own
        owner = where.children[-1]
        where.children[-1] = type(owner)(owner.lhs, user)
        if settings.SQL_CACHE_VERIFY:
            expected = self.for_user(user).query.sql_with_params()
            if queryset.query.sql_with_params() != expected:
                raise AssertionError(f"for_each_user gave {queryset.query.sql_with_params()!r}, for_user {expected!r}")
        return queryset


class OwnedModel(TimestampedModel):
    """A row owned by one end user: `user_id uuid not null references auth.users on delete cascade`."""

    owner_path = "user"

    # Not indexed alone: each owned model declares an index led by user_id that fits its queries.
    user = ForeignKey("accounts.AuthUser", db_on_delete="CASCADE", related_name="+", db_index=False)

    objects = OwnedQuerySet.as_manager()

    class Meta(TimestampedModel.Meta):
        abstract = True


class JobFailure(CreatedModel):
    """A background job's failed attempt, with its error (procrastinate keeps only the status):
    written by `core.jobs.keep_failure` around every task, the message cut short and key material
    in it replaced. Staff read it in the admin; no end user does (no grant, like the queue)."""

    job_id = models.BigIntegerField(db_index=True)
    task_name = models.CharField(max_length=255)
    attempt = models.PositiveIntegerField()
    error_type = models.CharField(max_length=255)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "job_failures"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="job_failures_created_at_idx")]

    def __str__(self):
        return f"{self.task_name} #{self.job_id}: {self.error_type}"
