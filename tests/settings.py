"""Test settings: fixed test-only secrets, then the real settings module."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-0123456789")
# A fixed test-only Fernet key; tests that rotate keys override the setting.
os.environ.setdefault("REGFRONT_ENCRYPTION_KEYS", "q5u0pBV3I1Xo8b7yMRz0z1h0mVwDq6nQ2eH0f5W2Jkc=")

from regfront.settings import *  # noqa: F403

# Serve static files from static/ without collectstatic (the browser tests load them).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Templates render without collectstatic: plain static storage, whatever DEBUG says.
_PLAIN_STATIC = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
STORAGES = STORAGES | {"staticfiles": _PLAIN_STATIC}  # noqa: F405
