"""A text field encrypted at rest with cryptography's MultiFernet.

Keys come from settings.REGFRONT_ENCRYPTION_KEYS (newest first) and are read when used, so
tests can override them. Decryption failure is an error, never ciphertext passed off as text.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class EncryptionKeyError(RuntimeError):
    """The configured keys cannot encrypt or decrypt a stored secret."""


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def current_fernet() -> MultiFernet:
    keys = tuple(settings.REGFRONT_ENCRYPTION_KEYS)
    if not keys:
        raise EncryptionKeyError(
            "No encryption key is configured: set REGFRONT_ENCRYPTION_KEYS to read or store "
            "registry credentials."
        )
    return _fernet_for(keys)


def encrypt(plaintext: str) -> str:
    return current_fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return current_fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise EncryptionKeyError(
            "A stored credential cannot be decrypted with REGFRONT_ENCRYPTION_KEYS: the key it "
            "was written with is missing from the list."
        ) from exc


def reencrypt(token: str) -> str:
    """Re-encrypt a stored value with the newest key (MultiFernet.rotate)."""
    try:
        return current_fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "A stored credential cannot be re-encrypted: none of REGFRONT_ENCRYPTION_KEYS opens it."
        ) from exc


class EncryptedTextField(models.TextField):
    """Stores Fernet tokens; Python code only ever sees plaintext. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
