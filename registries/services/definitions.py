"""Registry rows: saving and removing them safely when many people change them at once."""

from django.db import DatabaseError, IntegrityError, transaction

from registries.forms import RegistryForm
from registries.models import Registry

NAME_TAKEN = Registry._meta.get_field("name").error_messages["unique"]
GONE_MEANWHILE = "This registry was removed by someone else meanwhile."
CHANGED_MEANWHILE = (
    "Someone else changed this registry since you opened this page. Reload it to see their "
    "changes, then make yours again."
)


def registry_save(*, form: RegistryForm) -> Registry | None:
    """Save a validated form; a race lost to another writer becomes a form error, not a 500.

    Validation checks name uniqueness with a SELECT, so two people adding the same name at
    once both pass it; the unique constraint decides, and the loser is told why. Edits lock
    the row and, when the form carries the version it was shown with, refuse to overwrite a
    newer one.
    """
    creating = form.instance.pk is None
    try:
        with transaction.atomic():
            if not creating:
                current = (
                    Registry.objects.select_for_update()
                    .filter(pk=form.instance.pk)
                    .values_list("updated_at", flat=True)
                    .first()
                )
                if current is None:
                    form.add_error(None, GONE_MEANWHILE)
                    return None
                shown = form.cleaned_data.get("version")
                if shown and shown != current.isoformat():
                    form.add_error(None, CHANGED_MEANWHILE)
                    return None
            registry = form.save(commit=False)
            # force_update: saving a row deleted meanwhile must not silently re-create it.
            registry.save(force_insert=creating, force_update=not creating)
            form.save_m2m()
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
