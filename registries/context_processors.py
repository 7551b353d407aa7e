from django.conf import settings


def portal(request) -> dict:
    """Switches every template needs (the seed's REGISTRY_DISABLE_ADD_REMOVE)."""
    return {"add_remove_enabled": not settings.REGISTRY_DISABLE_ADD_REMOVE}
