"""regfront's production settings plus two bench-only additions (never used by the product):

- the floor: a trivial view at /bench/floor behind the same middleware and gunicorn settings,
  the best any Django page can do on this machine;
- a way to empty every worker's local-memory cache between cold samples (see middleware.py).
"""

from regfront.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.LocalCacheReset", *MIDDLEWARE]  # noqa: F405
