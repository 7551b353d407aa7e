"""Django-aware services: registry definitions, and (below) clients built from them.

Functions are typed, keyword-only, and named <thing>_<action> (HackSoft style).
"""

from django.db import DatabaseError, IntegrityError, transaction

from registries.forms import RegistryForm
from registries.models import Registry

NAME_TAKEN = Registry._meta.get_field("name").error_messages["unique"]
GONE_MEANWHILE = "This registry was removed by someone else meanwhile."


def registry_save(*, form: RegistryForm) -> Registry | None:
    """Save a validated form; a race lost to another writer becomes a form error, not a 500.

    Validation checks name uniqueness with a SELECT, so two people adding the same name at
    once both pass it; the unique constraint decides, and the loser is told why.
    """
    creating = form.instance.pk is None
    try:
        with transaction.atomic():
            registry = form.save(commit=False)
            # force_update: saving a row deleted meanwhile must not silently re-create it.
            registry.save(force_insert=creating, force_update=not creating)
            return registry
    except IntegrityError:
        form.add_error("name", NAME_TAKEN)
    except DatabaseError:
        if creating:
            raise
        form.add_error(None, GONE_MEANWHILE)
    return None


def registry_delete(*, name: str) -> bool:
    """Remove a registry; removing one that is already gone is not an error."""
    deleted, _ = Registry.objects.filter(name=name).delete()
    return bool(deleted)
