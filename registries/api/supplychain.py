"""`GET /api/v1/registries/<name>/repositories/<repository>/supply-chain?reference=`: the
supply-chain page as JSON (registries/supplychain/services.py), same permissions."""

from typing import Any

from django.http import HttpRequest, JsonResponse

from registries import services
from registries.api.contents import reference_param
from registries.api.views import ApiError, ApiView, _repository
from registries.supplychain.cosign import Verification
from registries.supplychain.links import supply_chain_url
from registries.supplychain.sbom import Package
from registries.supplychain.services import Problem, Row, supply_chain

QUERY_MAX_LENGTH = 255


def verification_json(verification: Verification | None) -> dict[str, Any] | None:
    if verification is None:
        return None
    return {
        "state": verification.state,
        "message": verification.message,
        "key": verification.key_name or None,
    }


def _where(row: Row) -> dict[str, Any]:
    found = row.found
    return {
        "source": found.source,
        "found_by": found.via or None,
        "artifact": found.digest,
        "layer": row.piece.layer.digest,
        "about": found.subject or None,
        "platform": found.platform or None,
        "error": row.piece.problem or None,
    }


def signature_json(row: Row) -> dict[str, Any]:
    return _where(row) | {"verification": verification_json(row.verification)}


def package_json(package: Package) -> dict[str, str]:
    return {
        "name": package.name,
        "version": package.version,
        "type": package.type,
        "license": package.license,
        "purl": package.purl,
    }


def sbom_json(row: Row, query: str) -> dict[str, Any]:
    sbom = row.piece.sbom
    packages = []
    if sbom is not None:
        packages = [p for p in sbom.packages if not query or p.matches(query.lower())]
    return _where(row) | {
        "format": sbom.format if sbom else None,
        "name": sbom.name if sbom else None,
        "package_count": sbom.total if sbom else None,
        "packages": [package_json(p) for p in packages],
        "verification": verification_json(row.verification),
    }


def provenance_json(row: Row) -> dict[str, Any]:
    p = row.piece.provenance
    facts: dict[str, Any] = {
        "version": None,
        "builder_id": None,
        "build_type": None,
        "source_repository": None,
        "source_commit": None,
        "parameters": [],
        "materials": [],
        "materials_count": 0,
    }
    if p is not None:
        facts = {
            "version": p.version,
            "builder_id": p.builder_id or None,
            "build_type": p.build_type or None,
            "source_repository": p.source_repository or None,
            "source_commit": p.source_commit or None,
            "parameters": [{"name": k, "value": v} for k, v in p.parameters],
            "materials": [{"uri": m.uri, "digest": m.digest or None} for m in p.materials],
            "materials_count": p.materials_total,
        }
    return _where(row) | facts | {"verification": verification_json(row.verification)}


def attestation_json(row: Row) -> dict[str, Any]:
    return _where(row) | {
        "predicate_type": row.piece.predicate_type or None,
        "media_type": row.piece.layer.media_type,
        "verification": verification_json(row.verification),
    }


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "source": problem.found.source,
        "artifact": problem.found.digest,
        "message": problem.message,
    }


class SupplyChainApi(ApiView):
    def get(self, request: HttpRequest, name: str, repository: str) -> JsonResponse:
        registry = self.registry(name)
        repository = _repository(registry, repository)
        tag, digest = reference_param(request)
        query = request.GET.get("q", "").strip()
        if len(query) > QUERY_MAX_LENGTH:
            raise ApiError(400, "bad_request", f"q is longer than {QUERY_MAX_LENGTH} characters.")
        detail = services.manifest_detail(
            registry=registry, repository=repository, tag=tag, digest=digest
        )
        chain = supply_chain(registry=registry, repository=repository, detail=detail)
        badge = chain.badge
        return JsonResponse(
            {
                "registry": registry.name,
                "repository": repository,
                "reference": tag or digest,
                "digest": detail.digest,
                "badge": {"state": badge.state, "message": badge.message},
                "signatures": [signature_json(row) for row in chain.signatures],
                "sboms": [sbom_json(row, query) for row in chain.sboms],
                "provenance": [provenance_json(row) for row in chain.provenance],
                "attestations": [attestation_json(row) for row in chain.attestations],
                "problems": [problem_json(p) for p in chain.problems],
                "more": chain.more,
                "web_url": supply_chain_url(
                    registry.name, repository, tag=tag or "", digest=digest or ""
                ),
            }
        )
