"""Reading a batch of repositories from the registry: what each holds now, and rows for the
manifests the index lacks.

Every registry request is one fan-out item, each round started from the sync's own thread,
so no fan-out waits on another's slots (they share REGFRONT_MAX_CONCURRENCY per registry).
A tag the index knows costs one HEAD (its digest may have moved); a new tag costs one GET by
tag, which carries the digest and the manifest at once. Manifests and configs are content
addressed: a digest the index has is never fetched again.
"""

from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass

from registries.client import errors
from registries.client.api import RegistryClient
from registries.client.models import Descriptor, FetchedManifest
from registries.client.reference import is_valid_tag
from registries.inventory.leases import Leases
from registries.inventory.models import IndexedManifest
from registries.inventory.rows import Kind, manifest_row
from registries.models import Registry
from registries.services.clients import client_for, fan_out
from registries.services.listings import valid_names

# A digest to fetch: a repository holding it, and the manifest if a GET by tag brought it.
Source = tuple[str, FetchedManifest | None]


@dataclass
class Crawl:
    digests: dict[str, dict[str, str]]  # repository -> tag -> digest ({}: gone or empty)
    rows: list[IndexedManifest]  # manifests new to the index


def _results(futures: list[Future], leases: Leases) -> Iterator:
    """Results in order, renewing the leases while they come; the first failure cancels
    what has not started."""
    try:
        for future in futures:
            yield future.result()
            leases.renew()
    finally:
        for future in futures:
            future.cancel()


def _tags(client: RegistryClient, repository: str) -> list[str]:
    try:
        # Names no reference can hold are dropped, as for the pages (listing boundary).
        return valid_names(client.tags(repository), is_valid_tag)[0]
    except errors.NotFound:
        return []  # the repository is gone


def _read_tag(
    client: RegistryClient, repository: str, tag: str, *, known: bool
) -> tuple[str, FetchedManifest | None] | None:
    """A tag's digest (and its manifest when the tag is new); None: deleted meanwhile."""
    try:
        if known:
            return client.manifest_digest(repository, tag), None
        fetched = client.manifest(repository, tag)
        assert fetched is not None  # no If-None-Match was sent
        return fetched.digest, fetched
    except errors.NotFound:
        return None


def _unindexed(registry: Registry, digests: set[str]) -> set[str]:
    indexed = IndexedManifest.objects.filter(registry=registry, digest__in=digests)
    return digests - set(indexed.values_list("digest", flat=True))


def _fetch(
    client: RegistryClient, registry: Registry, sources: dict[str, Source], leases: Leases
) -> Iterator[tuple[IndexedManifest, list[Descriptor]]]:
    def fetch(digest: str) -> tuple[IndexedManifest, list[Descriptor]]:
        repository, fetched = sources[digest]
        return manifest_row(
            client, registry=registry, repository=repository, digest=digest, fetched=fetched
        )

    return _results(fan_out(registry, fetch, sorted(sources)), leases)


def _rows(
    client: RegistryClient, registry: Registry, sources: dict[str, Source], leases: Leases
) -> list[IndexedManifest]:
    """Rows for the sources the index lacks, an index's children included (a second round)."""
    rows: list[IndexedManifest] = []
    attestations: set[str] = set()
    for _round in range(2):
        wanted = _unindexed(registry, set(sources) - {row.digest for row in rows})
        if not wanted:
            break
        children: dict[str, Source] = {}
        for row, kids in _fetch(client, registry, {d: sources[d] for d in wanted}, leases):
            if row.digest in attestations:
                row.kind = Kind.ATTESTATION
            rows.append(row)
            children |= {d.digest: (sources[row.digest][0], None) for d in kids}
            attestations |= {d.digest for d in kids if d.is_attestation}
        sources = children
    return rows


def registry_crawl(
    *, registry: Registry, names: list[str], known: dict[str, set[str]], leases: Leases
) -> Crawl:
    """What the registry holds for `names` now; `known` are the tags the index has."""
    client = client_for(registry)
    listed = _results(fan_out(registry, lambda name: _tags(client, name), names), leases)
    pairs = [(name, tag) for name, tags in zip(names, listed, strict=True) for tag in tags]

    def read_tag(pair: tuple[str, str]) -> tuple[str, FetchedManifest | None] | None:
        name, tag = pair
        return _read_tag(client, name, tag, known=tag in known.get(name, ()))

    digests: dict[str, dict[str, str]] = {name: {} for name in names}
    sources: dict[str, Source] = {}
    reads = _results(fan_out(registry, read_tag, pairs), leases)
    for (name, tag), found in zip(pairs, reads, strict=True):
        if found is not None:
            digest, fetched = found
            digests[name][tag] = digest
            if digest not in sources or fetched is not None:
                sources[digest] = (name, fetched)
    return Crawl(digests=digests, rows=_rows(client, registry, sources, leases))
