"""Create or update one registry from the seed frontend's REGISTRY_* variables.

Shared by the data migration (which passes its historical model) and `manage.py
seed_registry`, so both accept and refuse exactly the same input.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registries.validators import normalise_registry_url, validate_registry_name


class SeedError(ValueError):
    """The REGISTRY_* variables are present but cannot describe a registry."""


@dataclass(frozen=True)
class SeedSpec:
    name: str
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class SeedOutcome:
    action: str  # "created", "updated" or "unchanged"
    name: str
    url: str


def read_seed(environ: Mapping[str, str]) -> SeedSpec | None:
    """Return the registry the variables describe, None when none is asked for."""
    name = environ.get("REGISTRY_NAME", "").strip()
    url = environ.get("REGISTRY_URL", "").strip()
    if not name and not url:
        return None
    if not name:
        raise SeedError("REGISTRY_URL is set but REGISTRY_NAME is missing.")
    try:
        validate_registry_name(name)
    except ValidationError as exc:
        raise SeedError(f"REGISTRY_NAME {name[:40]!r} is not allowed: {exc.messages[0]}") from exc
    if not url:
        raise SeedError(f"REGISTRY_NAME is {name!r} but REGISTRY_URL is missing.")
    try:
        url = normalise_registry_url(url)
    except ValidationError as exc:
        # The URL may hold credentials, so never echo it back.
        raise SeedError(f"REGISTRY_URL is not allowed: {exc.messages[0]}") from exc
    return SeedSpec(
        name=name,
        url=url,
        username=environ.get("REGISTRY_AUTH_BASIC_USER", "").strip(),
        password=environ.get("REGISTRY_AUTH_BASIC_PASSWORD", ""),
    )


def seed_registry(model, spec: SeedSpec) -> SeedOutcome:
    """Upsert by name; safe when several instances start at once."""
    fields = {"url": spec.url, "username": spec.username, "password": spec.password}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                existing = model.objects.select_for_update().filter(name=spec.name).first()
                if existing is None:
                    model.objects.create(name=spec.name, **fields)
                    return SeedOutcome("created", spec.name, spec.url)
                changed = [key for key, value in fields.items() if getattr(existing, key) != value]
                if not changed:
                    return SeedOutcome("unchanged", spec.name, spec.url)
                for key in changed:
                    setattr(existing, key, fields[key])
                existing.save(update_fields=[*changed, "updated_at"])
                return SeedOutcome("updated", spec.name, spec.url)
        except IntegrityError:
            continue  # another process created it between our read and insert: update it
    raise SeedError(f"Registry {spec.name!r} could not be written; try again.")
