"""The plan's input, read from the inventory's index in a handful of queries."""

from django.db.models import Count, Max
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


def _fingerprint(registry: Registry) -> tuple:
    """Changes whenever the index does: each sync stamps its repositories' last_synced."""
    found = IndexedRepository.objects.filter(registry=registry).aggregate(
        n=Count("pk"), synced=Max("last_synced")
    )
    return registry.pk, found["n"], found["synced"]


# What a plan reads besides its own repositories' tags — which repositories its globs match,
# and the digests tagged in all the others (for the bytes garbage collection keeps) — is the
# same from one plan to the next until the index changes: each process keeps the last few.
_UNCHANGED: dict[tuple, object] = {}
UNCHANGED_MAX = 16


def _until_changed(key: tuple, compute):
    found = _UNCHANGED.get(key)
    if found is None:
        found = compute()
        if len(_UNCHANGED) >= UNCHANGED_MAX:
            _UNCHANGED.clear()
        _UNCHANGED[key] = found
    return found


def _matched(registry: Registry, rules: Rules) -> dict[int, str]:
    everything = IndexedRepository.objects.filter(registry=registry).values_list("pk", "name")
    return {pk: name for pk, name in everything if rules.matches_repository(name)}


def _others(registry: Registry, ids: list[int]) -> tuple[set[str], dict[str, ManifestFacts]]:
    tags = IndexedTag.objects.filter(repository__registry=registry)
    elsewhere = set(tags.exclude(repository_id__in=ids).values_list("digest", flat=True).distinct())
    return elsewhere, manifest_facts(registry, elsewhere)


def index_plan(*, registry: Registry, rules: Rules) -> Plan:
    """The plan for the registry's indexed repositories that the rules match."""
    stamp = _fingerprint(registry)
    names = _until_changed((stamp, rules.repositories), lambda: _matched(registry, rules))
    repositories: dict[str, list[TagRow]] = {name: [] for name in names.values()}
    tags = IndexedTag.objects.filter(repository__registry=registry)
    if len(names) <= CHUNK:  # a few repositories: their tags; the others' digests remembered
        ids = sorted(names)
        rows = tags.filter(repository_id__in=ids)
        elsewhere, known = _until_changed((stamp, *ids), lambda: _others(registry, ids))
        elsewhere = set(elsewhere)
    else:
        rows, elsewhere, known = tags, set(), {}
    for repository_id, name, digest, first_seen in rows.values_list(
        "repository_id", "name", "digest", "first_seen"
    ):
        if repository_id in names:
            repositories[names[repository_id]].append(TagRow(name, digest, first_seen))
        else:
            elsewhere.add(digest)
    mine = {t.digest for tags in repositories.values() for t in tags}
    manifests = known | manifest_facts(registry, mine | (elsewhere - known.keys()))
    return plan(
        rules=rules, repositories=repositories, manifests=manifests, elsewhere=elsewhere,
        now=timezone.now(),
    )  # fmt: skip
