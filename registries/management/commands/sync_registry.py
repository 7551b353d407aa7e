"""`manage.py sync_registry NAME [--repository R]`: sync the inventory in the foreground."""

from django.core.management.base import BaseCommand, CommandError

from registries.client import errors
from registries.client.reference import InvalidReference, check_repository
from registries.inventory.services import SyncReport, registry_sync, repository_sync
from registries.models import Registry


class Command(BaseCommand):
    help = "Sync the inventory of one registry (or one of its repositories) now, in the foreground."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The registry's name in regfront.")
        parser.add_argument("--repository", help="Sync only this repository, e.g. team/app.")

    def handle(self, *args, name: str, repository: str | None, **options) -> None:
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
        except errors.RegistryError as exc:
            raise CommandError(f"Sync of {name!r} failed: {exc.user_message}") from exc
        self.stdout.write(_summary(name, repository, report))


def _summary(name: str, repository: str | None, report: SyncReport) -> str:
    what = f"{name}/{repository}" if repository else name
    parts = [
        f"{report.repositories} repositories synced",
        f"{report.tags} tags",
        f"{report.manifests_fetched} manifests fetched",
    ]
    if report.skipped:
        parts.append(f"{report.skipped} repositories already synced in this run")
    if report.removed_repositories or report.removed_tags:
        parts.append(
            f"removed {report.removed_repositories} repositories and {report.removed_tags} tags"
        )
    return f"Synced {what}: {', '.join(parts)} in {report.duration.total_seconds():.1f} s."
