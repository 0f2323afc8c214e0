"""The keys of django-cryptography's encrypted fields, and their rotation (docs/chat.md, "Key rotation").

django-cryptography's format, kept as is: a value is `0x80 | timestamp (8 bytes) | IV (16) |
AES-256-CBC ciphertext of the pickled value | HMAC-SHA256` where the AES key is PBKDF2-SHA256 (30 000
iterations, salt `CRYPTOGRAPHY_SALT`) of `CRYPTOGRAPHY_KEY` (or of `SECRET_KEY` when that is unset),
and the HMAC key is `SECRET_KEY`.

The library binds one key to each field when the model class is built. `install()` (called from
`core.apps.CoreConfig.ready()`) gives every encrypted field of every model the `KeyRing` instead:

- it encrypts with the current keys: `CRYPTOGRAPHY_KEY` and `SECRET_KEY`;
- it decrypts with the current keys first, then with each key of `CRYPTOGRAPHY_OLD_KEYS` (and the
  HMAC keys of `SECRET_KEY_FALLBACKS`), so the application keeps reading every value while
  `manage.py rotate_encryption_key` re-encrypts them;
- it reads the settings when used (and again after `setting_changed`), not at import.

A wrong AES key is not always detected by the cipher (the HMAC key is shared, and PKCS#7 padding
happens to be valid once in 256 tries), so a candidate key counts only when the plaintext is also a
complete pickle, as every value the library writes is.
"""

import pickle
import struct
import threading
from functools import lru_cache

from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.encoding import force_bytes
from django_cryptography.core.signing import BadSignature, FernetSigner, SignatureExpired
from django_cryptography.fields import EncryptedMixin
from django_cryptography.utils.crypto import FernetBytes, InvalidToken

__all__ = ["KeyRing", "KEYRING", "derive_key", "encrypted_fields", "install", "Undecryptable"]

KDF_ITERATIONS = 30000  # django_cryptography.conf.CryptographyConf.configure
AES_KEY_BYTES = 32
HEADER = struct.Struct(">cQ")  # version byte and timestamp of the library's signed payload


class Undecryptable(InvalidToken):
    """No configured key opens this value."""


def derive_key(passphrase: str | bytes) -> bytes:
    """The AES key django-cryptography derives from a `CRYPTOGRAPHY_KEY` value."""
    return _derive(force_bytes(passphrase), force_bytes(settings.CRYPTOGRAPHY_SALT))


@lru_cache(maxsize=32)
def _derive(passphrase: bytes, salt: bytes) -> bytes:
    digest = settings.CRYPTOGRAPHY_DIGEST
    kdf = PBKDF2HMAC(algorithm=digest, length=digest.digest_size, salt=salt, iterations=KDF_ITERATIONS, backend=settings.CRYPTOGRAPHY_BACKEND)
    return kdf.derive(passphrase)


def _as_aes_key(value) -> bytes:
    """`CRYPTOGRAPHY_KEY` holds the derived key once django-cryptography has configured itself
    (its AppConf writes it back); a passphrase (a test's override) is derived the library's way."""
    if isinstance(value, bytes) and len(value) == AES_KEY_BYTES:
        return value
    return derive_key(value)


def _is_pickle(data: bytes) -> bool:
    if len(data) < 3 or data[:1] != b"\x80" or not 2 <= data[1] <= pickle.HIGHEST_PROTOCOL or data[-1:] != b".":
        return False
    try:
        pickle.loads(data)  # the value was authenticated by the HMAC: it is one we wrote
    except Exception:  # noqa: BLE001 - any failure means "not opened by this key"
        return False
    return True


class _Keys:
    def __init__(self):
        current_aes = _as_aes_key(settings.CRYPTOGRAPHY_KEY)
        old_aes = [derive_key(key) for key in settings.CRYPTOGRAPHY_OLD_KEYS if key]
        # Without an explicit CRYPTOGRAPHY_KEY the AES key comes from SECRET_KEY: a rotated SECRET_KEY
        # leaves its predecessors in SECRET_KEY_FALLBACKS.
        old_aes += [derive_key(key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", []) if key]
        signer_keys = [key for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])] if key]
        aes_keys = list(dict.fromkeys([current_aes, *old_aes]))
        # ciphers[i][j]: HMAC key i with AES key j; ciphers[0][0] is the current pair.
        self.ciphers = [[FernetBytes(aes, FernetSigner(signer)) for aes in aes_keys] for signer in signer_keys]
        self.current = self.ciphers[0][0]


class KeyRing:
    """Stands in for the `FernetBytes` object a django-cryptography field holds (`_fernet`)."""

    def __init__(self):
        self._keys = None
        self._lock = threading.Lock()

    def reset(self, **kwargs) -> None:
        self._keys = None

    @property
    def keys(self) -> _Keys:
        keys = self._keys
        if keys is None:
            with self._lock:
                if self._keys is None:
                    self._keys = _Keys()
                keys = self._keys
        return keys

    # The FernetBytes interface used by EncryptedMixin.

    def encrypt(self, data) -> bytes:
        return self.keys.current.encrypt(data)

    def encrypt_at_time(self, data, current_time: int) -> bytes:
        return self.keys.current.encrypt_at_time(data, current_time)

    def decrypt(self, data: bytes, ttl: int | None = None) -> bytes:
        return self.open(data, ttl)[0]

    # Rotation.

    def open(self, data: bytes, ttl: int | None = None) -> tuple[bytes, bool]:
        """(plaintext, under the current keys?). Raises Undecryptable, or SignatureExpired for a
        value past its field's ttl."""
        keys = self.keys
        data = bytes(data)
        for signer_ciphers in keys.ciphers:
            for cipher in signer_ciphers:
                try:
                    plaintext = cipher.decrypt(data, ttl)
                except SignatureExpired:
                    raise
                except BadSignature:
                    break  # not signed with this HMAC key: the next one
                except InvalidToken:
                    continue  # not this AES key
                if _is_pickle(plaintext):
                    return plaintext, cipher is keys.current
        raise Undecryptable("no configured key opens this value")

    def reencrypt(self, data: bytes) -> bytes | None:
        """The value under the current keys, with its original timestamp (a field's ttl keeps
        counting from the first write); None when it is under the current keys already."""
        plaintext, current = self.open(data)
        if current:
            return None
        _, timestamp = HEADER.unpack(bytes(data[: HEADER.size]))
        return self.keys.current.encrypt_at_time(plaintext, timestamp)


KEYRING = KeyRing()


def encrypted_fields():
    """(model, field) for every django-cryptography field of every installed model (proxies excluded:
    their table is their concrete model's)."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        if not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedMixin)
    ]


def install() -> None:
    """Give every encrypted field the key ring (fields with a key of their own keep it)."""
    for _, field in encrypted_fields():
        if field.key is None:
            field._fernet = KEYRING


def _settings_changed(setting, **kwargs):
    if setting in {"CRYPTOGRAPHY_KEY", "CRYPTOGRAPHY_OLD_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS", "CRYPTOGRAPHY_SALT"}:
        KEYRING.reset()


setting_changed.connect(_settings_changed, dispatch_uid="core.encryption.keyring")
