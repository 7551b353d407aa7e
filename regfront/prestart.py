"""Start-up tasks run by scripts/entrypoint before gunicorn: `migrate --no-input`, then
`seed_registry` when REGISTRY_NAME is set.

Several instances may start at once on one PostgreSQL database; a session advisory lock makes
them take turns (the lock ends with this process), so the second finds the migrations
applied and the registry seeded.
"""

import os
import sys

# Any constant works; it only has to be the same for every instance.
MIGRATION_LOCK_ID = 0x7265_6766  # "regf"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regfront.settings")
    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    django.setup()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
    try:
        call_command("migrate", interactive=False)
        if os.environ.get("REGISTRY_NAME"):
            call_command("seed_registry")
    except CommandError as exc:
        sys.exit(f"regfront: {exc}")


if __name__ == "__main__":
    main()
