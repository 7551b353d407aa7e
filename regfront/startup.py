"""Start-up checks that stop the process with one clear sentence instead of a traceback."""

import base64
import binascii
from typing import NoReturn


def fail(message: str) -> NoReturn:
    """Stop start-up: SystemExit with a string prints just that string and exits 1."""
    raise SystemExit(f"regfront: {message}")


def is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def parse_encryption_keys(raw: str, *, required: bool) -> list[str]:
    """Split REGFRONT_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first)."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys and required:
        fail(
            "REGFRONT_ENCRYPTION_KEYS (or REGFRONT_ENCRYPTION_KEYS_FILE) must be set when DEBUG "
            "is off; make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    for position, key in enumerate(keys, start=1):
        if not is_fernet_key(key):
            fail(
                f"REGFRONT_ENCRYPTION_KEYS entry {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            )
    return keys
