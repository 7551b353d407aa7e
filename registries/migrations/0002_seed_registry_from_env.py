"""Create the registry described by REGISTRY_* when those variables are set and valid.

Invalid or absent variables change nothing here; `manage.py seed_registry` reports them.
"""

import os

from django.db import migrations


def seed(apps, schema_editor):
    from registries.fields import EncryptionKeyError
    from registries.seeding import SeedError, read_seed, seed_registry

    try:
        spec = read_seed(os.environ)
        if spec is not None:
            seed_registry(apps.get_model("registries", "Registry"), spec)
    except (SeedError, EncryptionKeyError):
        return


class Migration(migrations.Migration):
    dependencies = [("registries", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
