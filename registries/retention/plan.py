"""The plan: from index rows to what goes and what stays, per repository. Pure: no database,
no registry; the same input gives the same plan.

Rules pick tags to keep; what is fixed, not a rule, then widens what stays: a digest stays when
any tag on it stays (deleting by digest takes every sibling tag), and so do the images of a kept
index and the subject of a kept signature or attestation. Signatures, attestations and SBOMs
(cosign's `sha256-<hex>.sig/.att/.sbom` tags, manifests with a `subject`) follow their image.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from registries.retention.rules import Rules
from registries.services.listings import natural_key
from registries.supplychain.folding import helper_tag


@dataclass(frozen=True)
class TagRow:
    name: str
    digest: str
    first_seen: datetime


@dataclass(frozen=True)
class ManifestFacts:
    created: datetime | None = None
    children: tuple[str, ...] = ()  # an index's manifests
    subject: str = ""  # what a signature, SBOM or attestation is about
    blobs: tuple[tuple[str, int], ...] = ()  # layers and config: (digest, size)


@dataclass(frozen=True)
class Deletion:
    digest: str
    tags: list[str]


@dataclass(frozen=True)
class Kept:
    tag: str
    digest: str
    reason: str


@dataclass
class RepositoryPlan:
    repository: str
    delete: list[Deletion] = field(default_factory=list)
    keep: list[Kept] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    reclaimable_bytes: int = 0
    # Tags removed alone, their digest staying (delete selected, where the registry can).
    untag: list[Deletion] = field(default_factory=list)

    def as_json(self) -> dict:
        shown = {
            "repository": self.repository,
            "delete": [{"digest": d.digest, "tags": d.tags} for d in self.delete],
            "keep": [{"tag": k.tag, "digest": k.digest, "reason": k.reason} for k in self.keep],
            "skipped": list(self.skipped),
        }
        if self.untag:
            shown["untag"] = [{"digest": d.digest, "tags": d.tags} for d in self.untag]
        return shown


@dataclass
class Plan:
    repositories: list[RepositoryPlan]
    reclaimable_bytes: int = 0

    def as_json(self) -> dict:
        """Exactly the shape `manage.py retention --json` prints (issue 12)."""
        return {
            "repositories": [r.as_json() for r in self.repositories],
            "reclaimable_bytes": self.reclaimable_bytes,
        }

    @property
    def deletions(self) -> int:
        return sum(len(r.delete) for r in self.repositories)


def _subject(tag: TagRow, manifests: dict[str, ManifestFacts]) -> str:
    """The image a helper tag or referrer is about; "" for an image of its own."""
    helper = helper_tag(tag.name)
    if helper is not None:
        return helper[0]
    facts = manifests.get(tag.digest)
    return facts.subject if facts is not None else ""


def _rule_reasons(
    rules: Rules, tags: list[TagRow], manifests: dict[str, ManifestFacts], now: datetime
) -> dict[str, str]:
    """tag -> why a rule keeps it, for the tags a rule keeps."""
    reasons: dict[str, str] = {}
    for tag in tags:
        pattern = rules.protected_by(tag.name)
        if pattern is not None:
            reasons[tag.name] = f"protected ({pattern})"
        elif rules.regex_keeps(tag.name):
            reasons[tag.name] = f"matches keep regex {rules.keep_regex}"
        elif tag.digest not in manifests:
            reasons[tag.name] = "not indexed yet, so not judged"
        elif rules.keep_days is not None and now - _age_from(tag, manifests) < timedelta(
            days=rules.keep_days
        ):
            reasons[tag.name] = f"younger than {rules.keep_days} days"
    return reasons


def _age_from(tag: TagRow, manifests: dict[str, ManifestFacts]) -> datetime:
    facts = manifests.get(tag.digest)
    return facts.created if facts is not None and facts.created else tag.first_seen


def _keep_last(
    rules: Rules, tags: list[TagRow], manifests: dict[str, ManifestFacts]
) -> dict[str, str]:
    """`tags` in version order (the repository page's sort key)."""
    if not rules.keep_last:
        return {}
    n = rules.keep_last
    if rules.order == "version":
        # The repository page's version sort, over tags holding a digit: `latest` or
        # `stable` are no versions, and would otherwise rank above every number.
        # `tags` come sorted by that key already: the highest versions are the last ones.
        versions = [t for t in tags if any(c.isdigit() for c in t.name)]
        ranked = versions[::-1][:n]
        return {t.name: f"among the last {n} by version" for t in ranked}
    newest: dict[str, datetime] = {}
    for tag in tags:
        newest[tag.digest] = max(newest.get(tag.digest, _age_from(tag, manifests)),
                                 _age_from(tag, manifests))  # fmt: skip
    # Images, not tags: a build tagged `abc123` and `latest` is one of the last N.
    chosen = set(sorted(newest, key=lambda d: (newest[d], d), reverse=True)[:n])
    return {t.name: f"among the last {n} images" for t in tags if t.digest in chosen}


def repository_plan(
    *, rules: Rules, repository: str, tags: Iterable[TagRow],
    manifests: dict[str, ManifestFacts], now: datetime,
) -> RepositoryPlan:  # fmt: skip
    """One repository's plan (its reclaimable bytes are left to `plan`)."""
    tags = sorted(tags, key=lambda t: natural_key(t.name))
    subjects = {t.name: _subject(t, manifests) for t in tags}
    images = [t for t in tags if not subjects[t.name]]
    helpers = [t for t in tags if subjects[t.name]]
    reasons = _rule_reasons(rules, images, manifests, now)
    for name, reason in _keep_last(rules, images, manifests).items():
        reasons.setdefault(name, reason)
    for tag in helpers:  # only an explicit protection keeps a helper on its own
        pattern = rules.protected_by(tag.name)
        if pattern is not None or rules.regex_keeps(tag.name):
            reasons[tag.name] = f"protected ({pattern})" if pattern else "matches keep regex"
    present = {t.digest for t in tags}
    kept: dict[str, str] = {}  # digest -> why it stays
    for tag in tags:
        if tag.name in reasons:
            kept.setdefault(tag.digest, f"shares its digest with kept tag {tag.name}")
    changed = True

    def keep(digest: str, why: str) -> None:
        nonlocal changed
        if digest not in kept:
            kept[digest], changed = why, True

    while changed:  # what stays only grows, so this ends
        changed = False
        for digest in list(kept):
            for child in manifests.get(digest, ManifestFacts()).children:
                keep(child, "an image of a kept index")
        for tag in helpers:
            subject = subjects[tag.name]
            if tag.name in reasons:
                keep(subject, f"the subject of kept {tag.name}")
            elif subject in kept or subject not in present:
                stays = subject in kept
                reasons[tag.name] = "its image stays" if stays else "its image is not here"
                keep(tag.digest, f"shares its digest with kept tag {tag.name}")
    out = RepositoryPlan(repository=repository)
    going: dict[str, list[str]] = {}
    for tag in tags:
        if tag.digest in kept:
            out.keep.append(Kept(tag.name, tag.digest, reasons.get(tag.name, kept[tag.digest])))
        else:
            going.setdefault(tag.digest, []).append(tag.name)
    out.delete = [Deletion(digest, names) for digest, names in going.items()]
    return out


def _closure(digests: Iterable[str], manifests: dict[str, ManifestFacts]) -> set[str]:
    """The digests and, for indexes, every manifest under them."""
    seen: set[str] = set()
    todo = list(digests)
    while todo:
        digest = todo.pop()
        if digest not in seen:
            seen.add(digest)
            todo.extend(manifests.get(digest, ManifestFacts()).children)
    return seen


# Manifests are content addressed, so the blobs a set of them uses never change: the other
# repositories' (thousands of digests, the same from one plan to the next) are remembered.
_USED: dict[tuple[frozenset[str], int], frozenset[str]] = {}
USED_MAX = 8


def _blobs_used(digests: frozenset[str], manifests: dict[str, ManifestFacts]) -> frozenset[str]:
    known = sum(d in manifests for d in digests)  # a digest indexed since makes a new entry
    key = (digests, known)
    found = _USED.get(key)
    if found is None:
        closure = _closure(digests, manifests)
        found = frozenset(b for d in closure for b, _ in manifests.get(d, ManifestFacts()).blobs)
        if len(_USED) >= USED_MAX:
            _USED.clear()
        _USED[key] = found
    return found


def plan(
    *, rules: Rules, repositories: dict[str, list[TagRow]], manifests: dict[str, ManifestFacts],
    elsewhere: set[str], now: datetime,
) -> Plan:  # fmt: skip
    """The plan for `repositories` (already matched by the rules); `elsewhere` are the digests
    tagged in the registry's other repositories, whose blobs garbage collection keeps."""
    plans = [
        repository_plan(rules=rules, repository=name, tags=tags, manifests=manifests, now=now)
        for name, tags in sorted(repositories.items())
    ]
    # Registry GC keeps every blob some remaining manifest uses, in any repository.
    kept = {k.digest for p in plans for k in p.keep}
    staying = set(elsewhere) | kept
    used = _blobs_used(frozenset(elsewhere), manifests) | _blobs_used(frozenset(kept), manifests)
    counted: set[str] = set()
    total = 0
    for repository_plan_ in plans:
        gone = _closure((d.digest for d in repository_plan_.delete), manifests) - staying
        for digest in sorted(gone):
            for blob, size in manifests.get(digest, ManifestFacts()).blobs:
                if blob not in used and blob not in counted:  # each blob once
                    counted.add(blob)
                    repository_plan_.reclaimable_bytes += size
        total += repository_plan_.reclaimable_bytes
    return Plan(repositories=plans, reclaimable_bytes=total)
