"""`manage.py retention --policy NAME [--registry R] [--dry-run] [--json]`: a retention
policy's plan (dry run) or a run of it, in the foreground; or an ad hoc policy:
`--registry R --repository GLOB [--keep-last N] [--order created|version] [--keep-days D]
[--keep-regex RE] [--protect PATTERN ...]`. Exits non-zero when anything failed."""

import json

from django.core.management.base import BaseCommand, CommandError

from registries.models import Registry
from registries.retention.index import index_plan
from registries.retention.lease import RunHeld
from registries.retention.models import RetentionPolicy, RetentionRun
from registries.retention.rules import RuleError, Rules
from registries.retention.run import run_create, run_execute, run_result


class Command(BaseCommand):
    help = "Show a retention policy's plan (--dry-run) or run it now, in the foreground."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--policy", help="A stored policy's name.")
        parser.add_argument("--registry", help="The registry (needed for an ad hoc policy).")
        parser.add_argument("--repository", action="append", default=[], metavar="GLOB",
                            help="Ad hoc: repositories to clean (glob, repeatable).")  # fmt: skip
        parser.add_argument("--keep-last", type=int)
        parser.add_argument("--order", choices=["created", "version"], default="created")
        parser.add_argument("--keep-days", type=int)
        parser.add_argument("--keep-regex", default="")
        parser.add_argument("--protect", nargs="+", default=[], metavar="PATTERN")
        parser.add_argument("--dry-run", action="store_true", help="Plan only; delete nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        policy, registry, rules = self._policy(options)
        if options["dry_run"]:
            self._show(index_plan(registry=registry, rules=rules).as_json(), options["json"])
            return
        run = run_create(registry=registry, rules=rules, policy=policy,
                         trigger=RetentionRun.Trigger.COMMAND)  # fmt: skip
        try:
            run = run_execute(run_id=run.pk)
        except RunHeld as held:
            raise CommandError(f"Not run: {held}. Run {run.pk} stays queued.") from held
        self._show(run_result(run), options["json"])
        if run.state != RetentionRun.State.DONE or run.errors:
            raise CommandError(run.message or f"Run {run.pk}: {run.errors} digest(s) failed.")

    def _policy(self, options) -> tuple[RetentionPolicy | None, Registry, Rules]:
        registries = Registry.objects.all()
        if options["registry"]:
            registries = registries.filter(name=options["registry"])
            if not registries.exists():
                raise CommandError(f"No registry named {options['registry']!r}.")
        try:
            if options["policy"]:
                named = RetentionPolicy.objects.filter(name=options["policy"])
                found = list(named.filter(registry__in=registries).select_related("registry"))
                if len(found) != 1:
                    raise CommandError(
                        f"No policy named {options['policy']!r}." if not found else
                        f"Several registries have a policy {options['policy']!r}: add --registry."
                    )  # fmt: skip
                return found[0], found[0].registry, Rules.from_policy(found[0])
            if not options["registry"] or not options["repository"]:
                raise CommandError("Name --policy, or --registry and --repository (ad hoc).")
            rules = Rules(
                repositories=tuple(options["repository"]), keep_last=options["keep_last"],
                order=options["order"], keep_days=options["keep_days"],
                keep_regex=options["keep_regex"], protect=tuple(options["protect"]),
            )  # fmt: skip
        except RuleError as exc:
            raise CommandError(str(exc)) from exc
        return None, registries.get(), rules

    def _show(self, result: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
            return
        for entry in result["repositories"]:
            self.stdout.write(f"{entry['repository']}:")
            for gone in entry["delete"]:
                self.stdout.write(f"  delete {gone['digest']} ({', '.join(gone['tags'])})")
            for kept in entry["keep"]:
                self.stdout.write(f"  keep   {kept['tag']} ({kept['reason']})")
            for skipped in entry["skipped"]:
                self.stdout.write(f"  skip   {skipped['digest']}: {skipped['reason']}")
        self.stdout.write(f"reclaimable after garbage collection: {result['reclaimable_bytes']} B")
