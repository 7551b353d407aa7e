"""Executing a stored plan, exactly: one item per digest, each re-checked just before its
delete (a HEAD per tag the plan saw on it; tags added since the plan are found from one tag
list per repository), deleted by digest at REGFRONT_RETENTION_RATE, audited.

Safe to run twice: an item is claimed by a conditional UPDATE before it is touched, finished
items are never touched again (a rerun resumes), and one run per policy holds its lease. A
paused policy stops the run before its next digest; a registry refusing deletes stops it with
one sentence.

Deletes are by digest (distribution 2.8 refuses tag-only deletes): every tag on the digest
goes, which is why the plan and the re-check make sure each of those tags was meant to go.
A tag-only item (delete selected, on a registry that removes a tag alone) removes just its
tags, each only while it still points at the item's digest.
"""

import time
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from registries.audit import Action, Outcome, audit_record
from registries.client import errors
from registries.client.api import RegistryClient
from registries.inventory.leases import new_holder
from registries.models import Registry
from registries.retention.index import index_plan
from registries.retention.lease import RunHeld, lease_release, lease_renew, lease_take
from registries.retention.models import RetentionItem, RetentionPolicy, RetentionRun
from registries.retention.plan import Plan
from registries.retention.rules import Rules
from registries.services.cache import repository_touch
from registries.services.changes import manifest_delete
from registries.services.clients import client_for

Item = RetentionItem.State
State = RetentionRun.State
FINISHED = (Item.DELETED, Item.SKIPPED, Item.ERROR)
REFUSED = (errors.Denied, errors.Unauthorized)


class RunStopped(Exception):
    """The run cannot go on (pause, deletes refused, lease lost): the message says why."""

    def __init__(self, message: str, *, state: str = State.FAILED) -> None:
        self.state = state
        super().__init__(message)


def run_create(
    *, registry: Registry, rules: Rules | None, trigger: str,
    policy: RetentionPolicy | None = None, user=None, plan: Plan | None = None,
    name: str = "(ad hoc)",
) -> RetentionRun:  # fmt: skip
    """A queued run of the plan made now from the index (or `plan`), with its items."""
    plan = plan if plan is not None else index_plan(registry=registry, rules=rules)
    authenticated = user is not None and user.is_authenticated
    run = RetentionRun.objects.create(
        policy=policy, registry=registry, policy_name=policy.name if policy else name,
        trigger=trigger, requested_by=user if authenticated else None, plan=plan.as_json(),
        reclaimable_bytes=plan.reclaimable_bytes,
    )  # fmt: skip
    RetentionItem.objects.bulk_create(
        RetentionItem(
            run=run, repository=r.repository, digest=d.digest, tags=d.tags, tag_only=tag_only
        )
        for r in plan.repositories
        for tag_only, deletions in ((False, r.delete), (True, r.untag))
        for d in deletions
    )
    return run


def _planned_tags(run: RetentionRun, repository: str) -> set[str]:
    for entry in run.plan.get("repositories", []):
        if entry["repository"] == repository:
            kept = {k["tag"] for k in entry["keep"]}
            return kept | {t for d in entry["delete"] for t in d["tags"]}
    return set()


def _added_since(client: RegistryClient, run: RetentionRun, repository: str) -> dict[str, str]:
    """digest -> a tag pushed since the plan onto it (tags the plan never saw)."""
    try:
        tags = set(client.tags(repository))
    except errors.NotFound:
        return {}
    added: dict[str, str] = {}
    for tag in sorted(tags - _planned_tags(run, repository)):
        try:
            added.setdefault(client.manifest_digest(repository, tag), tag)
        except errors.NotFound:
            continue
    return added


def _recheck(client: RegistryClient, item: RetentionItem, added: dict[str, str]) -> str:
    """Why the digest must not be deleted now ("" when it may be)."""
    if item.digest in added:
        return f"tag {added[item.digest]} was pushed onto it since the plan"
    gone = 0
    for tag in item.tags:
        try:
            now = client.manifest_digest(item.repository, tag)
        except errors.NotFound:
            gone += 1
            continue
        if now != item.digest:
            return f"tag {tag} moved to {now} since the plan"
    return "already gone: none of its tags exists any more" if gone == len(item.tags) else ""


class _Pace:
    """At most REGFRONT_RETENTION_RATE deletes per second."""

    def __init__(self) -> None:
        self.gap, self.last = 1 / settings.REGFRONT_RETENTION_RATE, 0.0

    def wait(self) -> None:
        delay = self.last + self.gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.last = time.monotonic()


def _finish(item: RetentionItem, state: str, reason: str = "") -> None:
    item.state, item.reason, item.done_at = state, reason[:2000], timezone.now()
    item.save(update_fields=["state", "reason", "done_at"])


def _refused_sentence(registry: Registry, exc: errors.RegistryError) -> str:
    if isinstance(exc, errors.Unsupported) and exc.status == 400:
        return f"The registry {registry.name} no longer removes a tag alone, so the run stopped."
    if isinstance(exc, errors.Unsupported):
        return (
            f"The registry {registry.name} has deletes turned off (405 UNSUPPORTED), so the run "
            "stopped: enable them with REGISTRY_STORAGE_DELETE_ENABLED=true, then run again."
        )
    return f"The registry {registry.name} refused regfront's deletes, so the run stopped: {exc}"


def _untag(run: RetentionRun, client: RegistryClient, item: RetentionItem, pace: _Pace) -> str:
    """Remove the item's tags alone, each only while it still points at the item's digest;
    "" when some went, else why none did."""
    removed = []
    try:
        for tag in item.tags:
            try:
                if client.manifest_digest(item.repository, tag) != item.digest:
                    continue  # moved since the plan: no longer what the person chose
                pace.wait()
                client.delete_tag(item.repository, tag)
            except errors.NotFound:
                continue
            removed.append(tag)
    finally:
        repository_touch(run.registry.pk, item.repository)
        if removed and removed != item.tags:  # the audit and the run's page say what went
            item.tags = removed
            item.save(update_fields=["tags"])
    return "" if removed else "its tags moved or went since the plan"


def _delete_one(
    run: RetentionRun, client: RegistryClient, item: RetentionItem, added: dict[str, str],
    pace: _Pace, user,
) -> None:  # fmt: skip
    record = {"user": user, "action": Action.MANIFEST_DELETE, "source": "retention",
              "registry_name": run.registry.name, "repository": item.repository,
              "digest": item.digest}  # fmt: skip
    if not item.tag_only:
        why = _recheck(client, item, added)
        if why:
            return _finish(item, Item.SKIPPED, why)
    try:
        if item.tag_only:
            why = _untag(run, client, item, pace)
            if why:
                return _finish(item, Item.SKIPPED, why)
        else:
            pace.wait()
            manifest_delete(registry=run.registry, repository=item.repository, digest=item.digest)
    except errors.NotFound:
        return _finish(item, Item.SKIPPED, "already gone: the registry no longer has it")
    except (errors.Unsupported, *REFUSED) as exc:
        sentence = _refused_sentence(run.registry, exc)
        _finish(item, Item.ERROR, sentence)
        audit_record(**record, tags=item.tags, outcome=Outcome.FAILED, message=sentence)
        raise RunStopped(sentence) from exc
    except errors.RegistryError as exc:
        audit_record(**record, tags=item.tags, outcome=Outcome.FAILED, message=exc.user_message)
        return _finish(item, Item.ERROR, exc.user_message)
    how = "tags removed alone, the image stays" if item.tag_only else "deleted by digest"
    audit_record(**record, tags=item.tags,
                 message=f"retention run {run.pk} ({run.policy_name}): {how}")  # fmt: skip
    _finish(item, Item.DELETED)


def _claim(item: RetentionItem, holder: str, *, leased: bool) -> bool:
    # Leased: an item left "working" by a killed run of this policy is ours to finish.
    open_states = [Item.PENDING, Item.WORKING] if leased else [Item.PENDING]
    claimed = RetentionItem.objects.filter(pk=item.pk, state__in=open_states).update(
        state=Item.WORKING, holder=holder
    )
    return claimed == 1


def _work(run: RetentionRun, holder: str, *, leased: bool) -> None:
    client = client_for(run.registry)
    pace = _Pace()
    todo = run.items.exclude(state__in=FINISHED).order_by("pk")
    by_repository: dict[str, list[RetentionItem]] = {}
    for item in todo:
        by_repository.setdefault(item.repository, []).append(item)
    for repository, items in by_repository.items():
        added = _added_since(client, run, repository)
        for item in items:
            paused = RetentionPolicy.objects.filter(pk=run.policy_id, paused=True)
            if run.policy_id and paused.exists():
                where = f"{item.repository}@{item.digest}"
                raise RunStopped(f"The policy was paused: the run stopped before {where}.",
                                 state=State.PAUSED)  # fmt: skip
            if leased and not lease_renew(policy_id=run.policy_id, holder=holder):
                raise RunStopped("Another worker took over this run: it stalled past its lease.")
            if _claim(item, holder, leased=leased):
                _delete_one(run, client, item, added, pace, run.requested_by)


def _counts(run: RetentionRun) -> None:
    counts = dict(run.items.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    run.deleted = counts.get(Item.DELETED, 0)
    run.skipped = counts.get(Item.SKIPPED, 0)
    run.errors = counts.get(Item.ERROR, 0)


def run_execute(*, run_id: int) -> RetentionRun:
    """Execute (or resume) a run; RunHeld when another run of its policy is executing."""
    run = RetentionRun.objects.select_related("registry", "policy").get(pk=run_id)
    if run.state == State.DONE:
        return run  # a task delivered twice does nothing the second time
    holder = new_holder()
    leased = run.policy_id is not None
    if leased:
        lease_take(policy_id=run.policy_id, holder=holder)
    try:
        run.state, run.message = State.RUNNING, ""
        run.started = run.started or timezone.now()
        run.save(update_fields=["state", "message", "started"])
        try:
            _work(run, holder, leased=leased)
            run.state = State.DONE
        except RunStopped as stop:
            run.state, run.message = stop.state, str(stop)
        except errors.RegistryError as exc:  # the tag list or a HEAD failed: resumable
            run.state = State.FAILED
            run.message = f"The registry {run.registry.name} failed: {exc.user_message}"
        # Items claimed but not finished (an error above) go back to the queue.
        run.items.filter(state=Item.WORKING, holder=holder).update(state=Item.PENDING)
        _counts(run)
        run.finished = timezone.now()
        run.save(update_fields=["state", "message", "finished", "deleted", "skipped", "errors"])
    finally:
        if leased:
            lease_release(policy_id=run.policy_id, holder=holder)
    _touched(run)
    return run


def _touched(run: RetentionRun) -> None:
    """The index learns of the deletes from a sync of each repository that lost digests."""
    from registries.events.notify import notify_retention_run
    from registries.inventory.services import inventory_enqueue_repository

    names: Iterable[str] = (
        run.items.filter(state=Item.DELETED).values_list("repository", flat=True).distinct()
    )
    for name in names:
        inventory_enqueue_repository(registry=run.registry, repository=name)
    notify_retention_run(run=run)  # the registry's notification endpoints hear how it ended


def run_result(run: RetentionRun) -> dict:
    """The run in the shape of `--json`: `delete` lists what was deleted; `skipped` what was
    not, with why (skips and errors)."""
    items: dict[str, list[RetentionItem]] = {}
    for item in run.items.order_by("pk"):
        items.setdefault(item.repository, []).append(item)
    out = []
    for entry in run.plan.get("repositories", []):
        mine = items.get(entry["repository"], [])
        out.append({
            "repository": entry["repository"],
            "delete": [{"digest": i.digest, "tags": i.tags} for i in mine
                       if i.state == Item.DELETED],
            "keep": entry["keep"],
            "skipped": [{"digest": i.digest, "tags": i.tags, "reason": i.reason or i.state}
                        for i in mine if i.state != Item.DELETED],
        })  # fmt: skip
    return {"repositories": out, "reclaimable_bytes": run.reclaimable_bytes}


__all__ = ["RunHeld", "RunStopped", "run_create", "run_execute", "run_result"]
