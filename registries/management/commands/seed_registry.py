import os

from django.core.management.base import BaseCommand, CommandError

from registries.audit import Action, audit_record
from registries.fields import EncryptionKeyError
from registries.models import Registry
from registries.seeding import SeedError, read_seed, seed_registry


class Command(BaseCommand):
    help = (
        "Create or update the registry described by REGISTRY_NAME, REGISTRY_URL, "
        "REGISTRY_AUTH_BASIC_USER and REGISTRY_AUTH_BASIC_PASSWORD."
    )

    def handle(self, *args, **options) -> None:
        try:
            spec = read_seed(os.environ)
            if spec is None:
                raise CommandError("Set REGISTRY_NAME and REGISTRY_URL to seed a registry.")
            outcome = seed_registry(Registry, spec)
        except (SeedError, EncryptionKeyError) as exc:
            raise CommandError(str(exc)) from exc
        if outcome.action != "unchanged":
            audit_record(
                user=None,
                source="command",
                action=Action.REGISTRY_ADD
                if outcome.action == "created"
                else Action.REGISTRY_CHANGE,
                registry_name=outcome.name,
                message=f"seed_registry: URL {outcome.url}",
            )
        auth = "with Basic credentials" if spec.username else "without credentials"
        self.stdout.write(f"Registry {outcome.name!r} {outcome.action}: {outcome.url} ({auth}).")
