"""`manage.py sync_registry NAME [--repository R]`: sync the inventory in the foreground.
`manage.py sync_registry --all --enqueue`: a background full sync of every registry (what
starts each registry's periodic chain; deduplicated, so running it at every start is fine)."""

from django.core.management.base import BaseCommand, CommandError

from registries.client import errors
from registries.client.reference import InvalidReference, check_repository
from registries.inventory.leases import LeaseHeld, LeaseLost
from registries.inventory.services import (
    SyncReport,
    inventory_enqueue_registry,
    registry_sync,
    repository_sync,
)
from registries.models import Registry


class Command(BaseCommand):
    help = "Sync the inventory of one registry (or one of its repositories) now, in the foreground."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", nargs="?", help="The registry's name in regfront.")
        parser.add_argument("--repository", help="Sync only this repository, e.g. team/app.")
        parser.add_argument("--all", action="store_true", help="Every registry (with --enqueue).")
        parser.add_argument(
            "--enqueue", action="store_true", help="Enqueue a background full sync instead."
        )

    def handle(
        self, *args, name: str | None, repository: str | None, enqueue: bool, **options
    ) -> None:
        if enqueue:
            self._enqueue(name=name, every=options["all"])
            return
        if not name:
            raise CommandError("Name a registry (or use --all --enqueue).")
        registry = Registry.objects.filter(name=name).first()
        if registry is None:
            raise CommandError(f"No registry named {name!r}.")
        try:
            if repository:
                repository = check_repository(repository)
                report = repository_sync(registry=registry, repository=repository)
            else:
                report = registry_sync(registry=registry)
        except InvalidReference as exc:
            raise CommandError(f"Not a repository name: {exc}") from exc
        except (errors.RegistryError, LeaseLost) as exc:
            raise CommandError(f"Sync of {name!r} failed: {exc.user_message}") from exc
        except LeaseHeld as exc:
            raise CommandError(
                f"Another sync is indexing {exc.repository or name!r} now (its lease runs "
                f"until {exc.expires:%H:%M:%S} UTC unless it is renewed); try again later."
            ) from exc
        self.stdout.write(_summary(name, repository, report))

    def _enqueue(self, *, name: str | None, every: bool) -> None:
        if every == bool(name):
            raise CommandError("With --enqueue, name a registry or use --all.")
        registries = Registry.objects.all() if every else Registry.objects.filter(name=name)
        if not every and not registries:
            raise CommandError(f"No registry named {name!r}.")
        for registry in registries:
            pending = inventory_enqueue_registry(registry=registry)
            self.stdout.write(f"Sync of {registry.name} pending (due {pending.due:%H:%M:%S}).")


def _summary(name: str, repository: str | None, report: SyncReport) -> str:
    what = f"{name}/{repository}" if repository else name
    parts = [
        f"{report.repositories} repositories synced",
        f"{report.tags} tags",
        f"{report.manifests_fetched} manifests fetched",
    ]
    if report.skipped:
        parts.append(f"{report.skipped} repositories already synced in this run")
    if report.held:
        parts.append(f"{report.held} repositories left to the other syncs indexing them")
    if report.removed_repositories or report.removed_tags:
        parts.append(
            f"removed {report.removed_repositories} repositories and {report.removed_tags} tags"
        )
    return f"Synced {what}: {', '.join(parts)} in {report.duration.total_seconds():.1f} s."
