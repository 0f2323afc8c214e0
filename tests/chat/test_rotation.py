"""manage.py rotate_encryption_key: every encrypted value of the project (GA4 tokens, session
storage, ...) moves from the old key to the new one, in batches, resumably; afterwards the old key
opens nothing, and a second run changes nothing."""

import io
import pickle

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_cryptography.utils.crypto import FernetBytes

from chat.models import GA4Credential
from core import encryption
from core.encryption import KEYRING, Undecryptable, derive_key
from sessions_app.models import AnalysisSession
from sessions_app.storage import SessionStorage

pytestmark = pytest.mark.django_db

OLD, NEW = "old passphrase 0f3a", "new passphrase 9c1d"


def raw_values():
    """Every encrypted value as stored, by (table, column, id)."""
    values = {}
    with connection.cursor() as cursor:
        for model, field in encryption.encrypted_fields():
            cursor.execute(f'SELECT id, "{field.column}" FROM "{model._meta.db_table}" WHERE "{field.column}" IS NOT NULL')
            values.update({(model._meta.db_table, field.column, row_id): bytes(value) for row_id, value in cursor.fetchall()})
    return values


def rotate(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_encryption_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def opens_with_library_key(passphrase, value) -> bool:
    """What django-cryptography itself, configured with only this key, reads from the value."""
    try:
        return pickle.loads(FernetBytes(derive_key(passphrase)).decrypt(value)) is not None
    except Exception:  # noqa: BLE001 - InvalidToken, or garbage that does not unpickle
        return False


@pytest.fixture
def old_data(settings, user_a, user_b):
    """Values written under the old key: three credentials (six tokens) and a sensitive session value."""
    settings.CRYPTOGRAPHY_KEY = OLD
    for user, property_id in [(user_a, "1"), (user_a, "2"), (user_b, "3")]:
        GA4Credential.objects.create(
            user=user, property_id=property_id, refresh_token=f"1//refresh-{property_id}", access_token=f"ya29.access-{property_id}"
        )
    session = AnalysisSession.objects.create(user=user_a, name="Rotation study")
    SessionStorage(session).set("api_secret", "s3cr3t value", sensitive=True)
    values = raw_values()
    assert len(values) == 7
    assert all(opens_with_library_key(OLD, value) for value in values.values())
    return session


def test_every_encrypted_field_of_the_project_is_found():
    found = {(model._meta.db_table, field.column) for model, field in encryption.encrypted_fields()}
    assert {("ga4_credentials", "refresh_token"), ("ga4_credentials", "access_token"), ("session_storage", "encrypted_value")} <= found
    assert all(field._fernet is KEYRING for _, field in encryption.encrypted_fields())


def test_rotation_reencrypts_everything_under_the_new_key(settings, old_data):
    before = raw_values()
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    # During the rotation the application reads old values and writes new ones.
    assert GA4Credential.objects.get(property_id="1").refresh_token == "1//refresh-1"
    assert SessionStorage(old_data).get("api_secret") == "s3cr3t value"

    out, err = rotate("--batch-size", "2")

    assert "7 encrypted value(s) in" in out and "7 re-encrypted, 0 already under the current key" in out
    assert "Encrypted values: 100%" in err
    after = raw_values()
    assert after.keys() == before.keys()
    assert all(after[key] != before[key] for key in before)
    assert all(opens_with_library_key(NEW, value) for value in after.values())
    assert not any(opens_with_library_key(OLD, value) for value in after.values())

    # The new key alone reads everything; the old key alone reads nothing.
    settings.CRYPTOGRAPHY_OLD_KEYS = []
    assert sorted(GA4Credential.objects.values_list("access_token", flat=True)) == ["ya29.access-1", "ya29.access-2", "ya29.access-3"]
    assert SessionStorage(old_data).get("api_secret") == "s3cr3t value"
    settings.CRYPTOGRAPHY_KEY = OLD
    with pytest.raises(Undecryptable):
        GA4Credential.objects.get(property_id="1").refresh_token  # noqa: B018


def test_a_second_run_is_a_no_op(settings, old_data):
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    rotate("--no-progress")
    first = raw_values()
    out, _ = rotate("--no-progress")
    assert "0 re-encrypted, 7 already under the current key" in out
    assert raw_values() == first  # byte for byte


def test_an_interrupted_rotation_resumes(settings, old_data, monkeypatch):
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    real = KEYRING.reencrypt
    calls = {"n": 0}

    def crash_on_the_fourth(value):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(value)

    monkeypatch.setattr(KEYRING, "reencrypt", crash_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        rotate("--batch-size", "2", "--no-progress")
    monkeypatch.setattr(KEYRING, "reencrypt", real)
    # The batches before the interruption were committed; the interrupted one was rolled back.
    done = sum(opens_with_library_key(NEW, value) for value in raw_values().values())
    assert 0 < done < 4

    out, _ = rotate("--batch-size", "2", "--no-progress")
    assert f"{7 - done} re-encrypted, {done} already under the current key" in out
    assert all(opens_with_library_key(NEW, value) for value in raw_values().values())


def test_values_under_an_unknown_key_are_reported_not_touched(settings, old_data):
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, []  # the old key was forgotten
    before = raw_values()
    with pytest.raises(CommandError, match="7 unreadable"):
        rotate("--no-progress")
    assert raw_values() == before


def test_the_original_timestamp_is_kept(settings, old_data):
    """A field's ttl counts from the first write, not from the rotation."""
    before = raw_values()
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    rotate("--no-progress")
    after = raw_values()
    assert all(after[key][:9] == before[key][:9] for key in before)  # version byte and timestamp


def test_a_rotated_secret_key_is_handled_too(settings, old_data):
    """django-cryptography signs each value with SECRET_KEY: with the old one in SECRET_KEY_FALLBACKS,
    values stay readable and the rotation re-signs them with the new one."""
    old_secret = settings.SECRET_KEY
    settings.CRYPTOGRAPHY_KEY, settings.CRYPTOGRAPHY_OLD_KEYS = NEW, [OLD]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new secret key of fifty characters, give or take!", [old_secret]
    assert GA4Credential.objects.get(property_id="2").access_token == "ya29.access-2"

    out, _ = rotate("--no-progress")

    assert "7 re-encrypted" in out
    settings.CRYPTOGRAPHY_OLD_KEYS, settings.SECRET_KEY_FALLBACKS = [], []
    assert GA4Credential.objects.get(property_id="2").access_token == "ya29.access-2"
    assert SessionStorage(old_data).get("api_secret") == "s3cr3t value"
