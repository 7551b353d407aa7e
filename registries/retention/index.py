"""The plan's input, read from the inventory's index in a handful of queries."""

from django.utils import timezone

from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.models import Registry
from registries.retention.plan import ManifestFacts, Plan, TagRow, plan
from registries.retention.rules import Rules

CHUNK = 500  # digests per query: within SQLite's bound on parameters


def _facts(row: dict) -> ManifestFacts:
    layers = [(layer.get("digest", ""), layer.get("size") or 0) for layer in row["layers"] or []]
    blobs = [(d, s) for d, s in layers if d]
    if row["config_digest"]:
        # The row's size is config plus layers (what a pull gets): the rest is the config.
        blobs.append((row["config_digest"], max((row["size"] or 0) - sum(s for _, s in layers), 0)))
    return ManifestFacts(
        created=row["created"],
        children=tuple(row["image_children"] or ()),
        subject=row["subject_digest"],
        blobs=tuple(blobs),
    )


# Manifests are content addressed, so their facts never change: each process keeps those it
# read (bounded), and a warm plan reads only the tags.
_FACTS: dict[tuple[int, str], ManifestFacts] = {}
FACTS_MAX = 200_000


def _remembered(registry: Registry, digests: set[str]) -> dict[str, ManifestFacts]:
    found = {}
    for digest in digests:
        facts = _FACTS.get((registry.pk, digest))
        if facts is not None:
            found[digest] = facts
    return found


def _remember(registry: Registry, found: dict[str, ManifestFacts]) -> None:
    if len(_FACTS) + len(found) > FACTS_MAX:
        _FACTS.clear()
    _FACTS.update(((registry.pk, digest), facts) for digest, facts in found.items())


def manifest_facts(registry: Registry, digests: set[str]) -> dict[str, ManifestFacts]:
    """Facts for `digests` and, for indexes, their children (read in rounds)."""
    found: dict[str, ManifestFacts] = {}
    read: dict[str, ManifestFacts] = {}
    todo = set(digests)
    while todo:
        known = _remembered(registry, todo)
        found |= known
        wanted = sorted(todo - set(known))
        todo = {child for facts in known.values() for child in facts.children}
        for start in range(0, len(wanted), CHUNK):
            rows = IndexedManifest.objects.filter(
                registry=registry, digest__in=wanted[start : start + CHUNK]
            ).values(
                "digest", "created", "image_children", "subject_digest", "layers",
                "config_digest", "size",
            )  # fmt: skip
            for row in rows:
                facts = found[row["digest"]] = read[row["digest"]] = _facts(row)
                todo.update(facts.children)
        todo.difference_update(found)
    _remember(registry, read)
    return found


def index_plan(*, registry: Registry, rules: Rules) -> Plan:
    """The plan for the registry's indexed repositories that the rules match."""
    everything = IndexedRepository.objects.filter(registry=registry).values_list("pk", "name")
    names = {pk: name for pk, name in everything if rules.matches_repository(name)}
    repositories: dict[str, list[TagRow]] = {name: [] for name in names.values()}
    rows = IndexedTag.objects.filter(repository__registry=registry).values_list(
        "repository_id", "name", "digest", "first_seen"
    )
    elsewhere: set[str] = set()
    for repository_id, name, digest, first_seen in rows.iterator(chunk_size=5000):
        if repository_id in names:
            repositories[names[repository_id]].append(TagRow(name, digest, first_seen))
        else:
            elsewhere.add(digest)
    mine = {t.digest for tags in repositories.values() for t in tags}
    manifests = manifest_facts(registry, mine | elsewhere)
    return plan(
        rules=rules, repositories=repositories, manifests=manifests, elsewhere=elsewhere,
        now=timezone.now(),
    )  # fmt: skip
