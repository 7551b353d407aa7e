"""Personal API tokens: made once, shown once, stored only as a SHA-256 hash.

A token carries 256 random bits, so a fast hash is safe (nobody can guess it offline) and lets
the hash itself be the indexed lookup key, as GitHub and PyPI do for their tokens.
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from registries.models import ApiToken

TOKEN_PREFIX = "rft_"
TOKEN_MAX_LENGTH = 100
SHOWN_PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=5)  # one write per token per 5 minutes at most


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`: the row, and the token itself (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=token_hash(token),
        prefix=token[:SHOWN_PREFIX_LENGTH],
    )
    return row, token


def token_user(token: str) -> AbstractBaseUser | None:
    """The active user a token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX_LENGTH:
        return None
    row = ApiToken.objects.select_related("user").filter(key_hash=token_hash(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
