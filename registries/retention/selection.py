"""Delete selected: tags chosen on the repository page, planned like a policy and grouped by
digest for the confirmation.

A selection is a policy that keeps every tag but the chosen ones, so the plan's fixed
guarantees hold here too: a digest that an unchosen tag points at stays (a delete by digest
would take that tag), so do the images of a kept index and the subject of a kept signature;
the signatures and attestations of a deleted image go with it. Where the registry removes a
tag alone, a chosen tag on a digest that stays is removed alone instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from registries.client import errors
from registries.client.api import DeleteSupport
from registries.client.models import ImageIndex
from registries.inventory.models import IndexedRepository, IndexedTag
from registries.models import Registry
from registries.retention.index import manifest_facts
from registries.retention.plan import (
    Deletion,
    Kept,
    ManifestFacts,
    Plan,
    RepositoryPlan,
    TagRow,
    repository_plan,
)
from registries.services.clients import client_for
from registries.services.listings import tag_list
from registries.services.manifests import manifest_by_digest
from registries.services.summaries import tags_by_digest
from registries.supplychain.folding import helper_tag

NOT_CHOSEN = "not selected"
Support = DeleteSupport | None  # None: the registry refused to say (credentials lack delete)


@dataclass(frozen=True)
class Chosen:
    """Plan rules keeping every tag except the chosen ones (and the helper tags, which follow
    their image)."""

    tags: frozenset[str]
    keep_last = None
    keep_days = None
    keep_regex = ""
    order = "created"

    def protected_by(self, tag: str) -> str | None:
        return None if tag in self.tags or helper_tag(tag) else NOT_CHOSEN

    def regex_keeps(self, tag: str) -> bool:
        return False


@dataclass
class DigestGroup:
    """One digest the chosen tags point at, and what happens to it."""

    digest: str
    chosen: list[str]
    action: str  # "delete" (by digest), "untag" (the chosen tags alone) or "keep"
    also: list[str] = field(default_factory=list)  # unchosen tags a delete takes too
    staying: list[str] = field(default_factory=list)  # unchosen tags that keep the digest
    reason: str = ""  # why a kept digest stays
    forced: bool = False  # deleted although unchosen tags point at it: the person said so

    @property
    def offer_anyway(self) -> bool:
        """Only unchosen sibling tags keep it, so deleting it (taking them) is possible."""
        return self.action == "keep" and bool(self.staying)


@dataclass
class Selection:
    repository: str
    groups: list[DigestGroup]
    missing: list[str]  # chosen tags the repository no longer has
    support: Support
    from_index: bool
    plan: Plan

    @property
    def deletes(self) -> int:
        return sum(g.action == "delete" for g in self.groups)

    @property
    def untags(self) -> int:
        return sum(len(g.chosen) for g in self.groups if g.action == "untag")

    @property
    def changes(self) -> int:
        return self.deletes + self.untags


def repository_rows(
    registry: Registry, repository: str
) -> tuple[list[TagRow], dict[str, ManifestFacts], bool]:
    """The repository's tags and its manifests' facts: from the index when it has the
    repository (the run re-checks every digest before its delete), else from the registry."""
    indexed = IndexedRepository.objects.filter(
        registry=registry, name=repository, last_synced__isnull=False
    ).first()
    if indexed is not None:
        found = IndexedTag.objects.filter(repository=indexed).values_list(
            "name", "digest", "first_seen"
        )
        rows = [TagRow(name, digest, seen) for name, digest, seen in found]
        return rows, manifest_facts(registry, {r.digest for r in rows}), True
    return *_live_rows(registry, repository), False


def _live_rows(
    registry: Registry, repository: str
) -> tuple[list[TagRow], dict[str, ManifestFacts]]:
    try:
        tags = tag_list(registry=registry, repository=repository, refresh=True)
    except errors.NotFound:
        return [], {}
    now = timezone.now()
    groups = tags_by_digest(registry=registry, repository=repository, tags=tags, refresh=True)
    rows = [TagRow(tag, digest, now) for digest, names in groups.items() for tag in names]
    facts = {digest: _live_facts(registry, repository, digest) for digest in groups}
    return rows, facts


def _live_facts(registry: Registry, repository: str, digest: str) -> ManifestFacts:
    # Content addressed: cached for good after the first read.
    parsed = manifest_by_digest(registry=registry, repository=repository, digest=digest).parsed
    children = tuple(m.digest for m in parsed.manifests) if isinstance(parsed, ImageIndex) else ()
    subject = getattr(parsed, "subject", None)  # schema 1 has none
    return ManifestFacts(children=children, subject=subject.digest if subject else "")


def delete_support(registry: Registry, repository: str) -> Support:
    try:
        return client_for(registry).delete_support(repository)
    except (errors.Denied, errors.Unauthorized):
        return None


def plan_selection(
    *, registry: Registry, repository: str, chosen: set[str], anyway: set[str],
    support: Support,
) -> Selection:  # fmt: skip
    """The plan for deleting `chosen` tags; `anyway` names digests to delete although
    unchosen tags point at them (those tags go too)."""
    rows, facts, from_index = repository_rows(registry, repository)
    names = {row.name for row in rows}
    siblings: dict[str, list[str]] = {}
    for row in rows:
        if helper_tag(row.name) is None:
            siblings.setdefault(row.digest, []).append(row.name)
    chosen = chosen & names
    wanted = {row.digest for row in rows if row.name in chosen}
    anyway = anyway & wanted
    taken = chosen | {tag for digest in anyway for tag in siblings[digest]}
    planned = repository_plan(
        rules=Chosen(frozenset(taken)), repository=repository, tags=rows, manifests=facts,
        now=timezone.now(),
    )  # fmt: skip
    planned.keep = [_plainer(kept) for kept in planned.keep]
    groups = _groups(planned, chosen, taken, siblings, support)
    for group in groups:
        group.forced = group.action == "delete" and group.digest in anyway
    planned.untag = [Deletion(g.digest, g.chosen) for g in groups if g.action == "untag"]
    return Selection(
        repository=repository, groups=groups, missing=sorted(set(chosen) - names),
        support=support, from_index=from_index, plan=Plan(repositories=[planned]),
    )  # fmt: skip


def _plainer(kept: Kept) -> Kept:
    """ "not selected" rather than the policy wording "protected (not selected)"."""
    if kept.reason == f"protected ({NOT_CHOSEN})":
        return Kept(kept.tag, kept.digest, NOT_CHOSEN)
    return kept


def _groups(
    planned: RepositoryPlan, chosen: set[str], taken: set[str], siblings: dict[str, list[str]],
    support: Support,
) -> list[DigestGroup]:  # fmt: skip
    groups: dict[str, DigestGroup] = {}
    helpers: list[Deletion] = []
    for deletion in planned.delete:
        mine = [tag for tag in deletion.tags if tag in chosen]
        if not mine:
            helpers.append(deletion)  # a signature or attestation following its image
            continue
        groups[deletion.digest] = DigestGroup(
            digest=deletion.digest, chosen=mine, action="delete",
            also=[tag for tag in deletion.tags if tag not in chosen],
        )  # fmt: skip
    for deletion in helpers:
        subject = next((helper_tag(t)[0] for t in deletion.tags if helper_tag(t)), "")
        group = groups.get(subject)
        if group is not None:
            group.also.extend(deletion.tags)
        else:
            groups[deletion.digest] = DigestGroup(
                digest=deletion.digest, chosen=[], action="delete", also=list(deletion.tags)
            )
    for kept in planned.keep:
        if kept.tag not in chosen:
            continue
        group = groups.get(kept.digest)
        if group is None:
            staying = [t for t in siblings.get(kept.digest, []) if t not in taken]
            group = groups[kept.digest] = DigestGroup(
                digest=kept.digest, chosen=[], staying=staying, reason=kept.reason,
                action="untag" if support == "tag" else "keep",
            )  # fmt: skip
        group.chosen.append(kept.tag)
    return sorted(groups.values(), key=lambda g: (g.action != "delete", g.digest))
