"""The generic capture: every create, update and delete made through the API, the pages and the
admin leaves an `audit_logs` row — who, which table and primary key, and which fields changed
(old → new for ordinary fields) — without any view having to remember it.

Mechanism: `post_save`/`post_delete` receivers on every captured model, active only inside a
request scope with capture on (AUDIT_CAPTURE). Old values come from what the row held when it was
loaded: `Model.from_db` is wrapped to keep the loaded values on the instance, during write requests
only. `QuerySet.update()` and bulk writes send no signals and are not captured.

Never recorded: encrypted fields (django-cryptography), fields whose name says secret (password,
hash, token, secret, salt, credential, private key...), and those a model lists in
`audit_secret_fields`. Long text, JSON and binary fields are recorded as changed, without values.
A model opts out entirely with `audit_capture = False`; settings.AUDIT_CAPTURE_EXCLUDE lists more.
"""

import re

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save

from audit import scope as audit_scope
from audit import services

SECRET_NAME = re.compile(r"pass|secret|token|hash|salt|otp|credential|private|api_?key|signature|cookie", re.IGNORECASE)
PASSWORD_NAME = re.compile(r"password", re.IGNORECASE)
ORDINARY = (
    models.BooleanField, models.IntegerField, models.DecimalField, models.FloatField, models.DateField,
    models.DateTimeField, models.TimeField, models.DurationField, models.UUIDField, models.CharField,
    models.ForeignKey, models.GenericIPAddressField,
)
CONTENT = (models.TextField, models.JSONField, models.BinaryField, models.FileField)
MAX_VALUE = 200  # characters of a recorded value

_captured: dict = {}  # model -> list of (attname, "value" | "changed") in field order
_passwords: dict = {}  # model -> attnames of its password columns


def _is_encrypted(field) -> bool:
    try:
        from django_cryptography.fields import EncryptedMixin
    except Exception:  # not installed or not configured
        return False
    return isinstance(field, EncryptedMixin)


def field_plan(model) -> list:
    """The fields of `model` the capture records, and how: values, or only "changed"."""
    secret = set(getattr(model, "audit_secret_fields", ()))
    plan = []
    for field in model._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue
        if field.name in secret or field.attname in secret or SECRET_NAME.search(field.name) or _is_encrypted(field):
            continue
        if isinstance(field, CONTENT) and not isinstance(field, models.CharField):
            plan.append((field.attname, "changed"))
        elif isinstance(field, ORDINARY):
            plan.append((field.attname, "value"))
    return plan


def password_fields(model) -> list:
    return [f.attname for f in model._meta.concrete_fields if PASSWORD_NAME.search(f.name)]


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def capturable(model) -> bool:
    if model._meta.abstract or model._meta.proxy or model._meta.auto_created:
        return False
    if not getattr(model, "audit_capture", True):
        return False
    excluded = {label.lower() for label in getattr(settings, "AUDIT_CAPTURE_EXCLUDE", ())}
    return _label(model).lower() not in excluded and f"{model._meta.app_label}.*" not in excluded


def _value(value):
    value = services.plain(value)
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return value[:MAX_VALUE] + "…"
    return value


def _active():
    current = audit_scope.current()
    return current if current is not None and current.capture else None


# --- loaded values ----------------------------------------------------------------------------------

_original_from_db = models.Model.from_db.__func__


def _from_db(cls, db, field_names, values):
    instance = _original_from_db(cls, db, field_names, values)
    if cls in _captured:
        current = audit_scope.current()
        if current is not None and current.snapshots:
            instance._audit_loaded = (field_names, values)
    return instance


def _loaded(instance) -> dict | None:
    loaded = instance.__dict__.get("_audit_loaded")
    if loaded is None:
        return None
    field_names, values = loaded
    if len(field_names) != len(values):
        return None
    return dict(zip(field_names, values))


# --- receivers ----------------------------------------------------------------------------------------

def _changes(instance, plan, before: dict | None, created: bool) -> dict:
    changes = {}
    for attname, how in plan:
        if attname not in instance.__dict__:  # deferred, not loaded: not written by this save
            continue
        new = instance.__dict__[attname]
        if created:
            if new is None or new == "":
                continue
            changes[attname] = {"new": _value(new)} if how == "value" else {"changed": True}
            continue
        if before is not None:
            if attname not in before:
                continue
            old = before[attname]
            if old == new:
                continue
            changes[attname] = {"old": _value(old), "new": _value(new)} if how == "value" else {"changed": True}
        else:
            changes[attname] = {"new": _value(new)} if how == "value" else {"changed": True}
    return changes


def on_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    current = _active()
    if current is None or raw:
        return
    before = None if created else _loaded(instance)
    changes = _changes(instance, _captured[sender], before, created)
    changed_password = False
    if not created and before is not None:
        changed_password = any(
            attname in before and attname in instance.__dict__ and before[attname] != instance.__dict__[attname]
            for attname in _passwords[sender]
        )
    if not created and before is not None and not changes and not changed_password:
        return  # saved unchanged
    details = {"model": _label(sender), "via": current.via, "changes": changes}
    if update_fields:
        details["update_fields"] = sorted(update_fields)
    services.captured("create" if created else "update", resource_type=sender._meta.db_table,
                      resource_id=str(instance.pk), details=details)
    if changed_password:
        _password_changed(sender, instance, current)
    if current.snapshots:
        _refresh_snapshot(sender, instance)


def _refresh_snapshot(sender, instance):
    """After a save, the instance's values are what the row holds: the next save diffs from them."""
    names = tuple(f.attname for f in sender._meta.concrete_fields if f.attname in instance.__dict__)
    instance._audit_loaded = (names, tuple(instance.__dict__[n] for n in names))


def _password_changed(sender, instance, current):
    from accounts.models import AuthUser

    if isinstance(instance, AuthUser):
        services.activity("password_change", user=instance, details={"via": current.via}, durable=True)
    else:  # a staff user (django.contrib.auth)
        services.activity("password_change", user=None, details={"via": current.via, "staff_user": instance.get_username()}, durable=True)


def on_delete(sender, instance, **kwargs):
    current = _active()
    if current is None:
        return
    fields = {attname: _value(instance.__dict__[attname]) for attname, how in _captured[sender]
              if how == "value" and attname in instance.__dict__ and instance.__dict__[attname] not in (None, "")}
    services.captured("delete", resource_type=sender._meta.db_table, resource_id=str(instance.pk),
                      details={"model": _label(sender), "via": current.via, "fields": fields})


def connect() -> None:
    """Called once from AuditConfig.ready(): receivers for every captured model, and the loaded-values
    wrapper of `Model.from_db`."""
    from django.apps import apps

    for model in apps.get_models():
        if capturable(model):
            _captured[model] = field_plan(model)
            _passwords[model] = password_fields(model)
            post_save.connect(on_save, sender=model, weak=False, dispatch_uid=f"audit_capture_save_{_label(model)}")
            post_delete.connect(on_delete, sender=model, weak=False, dispatch_uid=f"audit_capture_delete_{_label(model)}")
    if models.Model.from_db.__func__ is not _from_db:
        models.Model.from_db = classmethod(_from_db)
