"""SLSA provenance (the predicate of an in-toto statement), v0.2 and v1, as the facts a
person checks: who built it, from which source and commit, with which arguments, out of what.

v0.2: https://slsa.dev/spec/v0.2/provenance
v1:   https://slsa.dev/spec/v1.0/provenance
BuildKit also records the Git source in its own metadata block:
https://docs.docker.com/build/metadata/attestations/slsa-definitions/
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registries.client._json import as_time
from registries.supplychain.documents import TEXT_MAX, digest_text, items, obj, text

BUILDKIT_METADATA = "https://mobyproject.org/buildkit@v1#metadata"
PARAMETERS_MAX = 200
MATERIALS_MAX = 1000
NESTING_MAX = 4  # parameters deeper than this are shown as JSON


@dataclass(frozen=True)
class Material:
    uri: str
    digest: str  # `sha256:<hex>`; several joined by ", "


@dataclass(frozen=True)
class Provenance:
    version: str  # "v0.2" or "v1"
    builder_id: str
    build_type: str
    source_repository: str
    source_commit: str
    parameters: tuple[tuple[str, str], ...]  # build arguments / external parameters, flattened
    materials: tuple[Material, ...]
    materials_total: int
    invocation_id: str = ""
    started: datetime | None = None
    finished: datetime | None = None


def _flatten(value: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """`{"args": {"build-arg:V": "1"}}` → [("args.build-arg:V", "1")]; leaves as text."""
    if isinstance(value, dict) and value and depth < NESTING_MAX:
        pairs: list[tuple[str, str]] = []
        for key, inner in value.items():
            pairs += _flatten(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
            if len(pairs) >= PARAMETERS_MAX:
                break
        return pairs
    if isinstance(value, str):
        shown = value
    else:
        try:
            shown = json.dumps(value, sort_keys=True)
        except (ValueError, RecursionError):
            shown = "…"
    return [(prefix[:TEXT_MAX], shown[:TEXT_MAX])]


def _parameters(value: Any) -> tuple[tuple[str, str], ...]:
    if not obj(value):
        return ()
    return tuple(_flatten(value)[:PARAMETERS_MAX])


def _materials(entries: list[Any]) -> tuple[tuple[Material, ...], int]:
    found = [
        Material(uri=text(obj(e).get("uri")), digest=digest_text(obj(e).get("digest")))
        for e in entries[:MATERIALS_MAX]
    ]
    return tuple(found), len(entries)


def _commit(digest_set: Any) -> str:
    digests = obj(digest_set)
    return text(digests.get("sha1")) or text(digests.get("gitCommit"))


def _vcs(*places: Any) -> tuple[str, str]:
    """BuildKit's `vcs: {source, revision}`, wherever this version of BuildKit put it."""
    for place in places:
        vcs = obj(obj(obj(place).get(BUILDKIT_METADATA)).get("vcs"))
        if vcs:
            return text(vcs.get("source")), text(vcs.get("revision"))
    return "", ""


def _v02(predicate: dict[str, Any]) -> Provenance:
    invocation = obj(predicate.get("invocation"))
    config_source = obj(invocation.get("configSource"))
    metadata = obj(predicate.get("metadata"))
    vcs_source, vcs_revision = _vcs(metadata)
    materials, total = _materials(items(predicate.get("materials")))
    return Provenance(
        version="v0.2",
        builder_id=text(obj(predicate.get("builder")).get("id")),
        build_type=text(predicate.get("buildType")),
        source_repository=vcs_source or text(config_source.get("uri")),
        source_commit=vcs_revision or _commit(config_source.get("digest")),
        parameters=_parameters(invocation.get("parameters")),
        materials=materials,
        materials_total=total,
        invocation_id=text(metadata.get("buildInvocationID") or metadata.get("buildInvocationId")),
        started=as_time(metadata.get("buildStartedOn")),
        finished=as_time(metadata.get("buildFinishedOn")),
    )


def _v1_source(external: dict[str, Any], dependencies: list[Any]) -> tuple[str, str]:
    config_source = obj(external.get("configSource"))
    if text(config_source.get("uri")):
        return text(config_source.get("uri")), _commit(config_source.get("digest"))
    workflow = obj(external.get("workflow"))  # GitHub Actions' build type
    if text(workflow.get("repository")):
        commit = next(
            (_commit(obj(d).get("digest")) for d in dependencies if _commit(obj(d).get("digest"))),
            "",
        )
        return text(workflow.get("repository")), commit
    for dependency in dependencies:
        dependency = obj(dependency)
        if text(dependency.get("uri")).startswith("git+"):
            return text(dependency.get("uri")), _commit(dependency.get("digest"))
    return "", ""


def _v1(predicate: dict[str, Any]) -> Provenance:
    definition = obj(predicate.get("buildDefinition"))
    run = obj(predicate.get("runDetails"))
    metadata = obj(run.get("metadata"))
    external = obj(definition.get("externalParameters"))
    dependencies = items(definition.get("resolvedDependencies"))
    source, commit = _v1_source(external, dependencies)
    vcs_source, vcs_revision = _vcs(metadata, definition.get("internalParameters"))
    materials, total = _materials(dependencies)
    return Provenance(
        version="v1",
        builder_id=text(obj(run.get("builder")).get("id")),
        build_type=text(definition.get("buildType")),
        source_repository=vcs_source or source,
        source_commit=vcs_revision or commit,
        parameters=_parameters(external),
        materials=materials,
        materials_total=total,
        invocation_id=text(metadata.get("invocationID") or metadata.get("invocationId")),
        started=as_time(metadata.get("startedOn")),
        finished=as_time(metadata.get("finishedOn")),
    )


def read_provenance(predicate_type: str, predicate: Any) -> Provenance:
    """The predicate of a statement whose type is https://slsa.dev/provenance/<version>."""
    predicate = obj(predicate)
    if predicate_type.rstrip("/").endswith(("/v0.1", "/v0.2")):
        return _v02(predicate)
    return _v1(predicate)
