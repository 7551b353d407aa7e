"""`GET /api/v1/registries/<name>/storage[?repository=]`: the storage page's figures as JSON,
from the index (registries/retention/storage.py), for anyone who may see the registry."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from registries.api.views import ApiError, ApiView, _repository
from registries.browsing import repository_url
from registries.models import Registry
from registries.retention.storage import TOP, registry_storage
from registries.retention.storage_figures import (
    Growth,
    ImageFigures,
    Reclaimable,
    RepositoryFigures,
)


def _when(value) -> str | None:
    return value.isoformat() if value else None


def growth_json(growth: Growth) -> dict[str, Any]:
    return {
        "unit": growth.unit,
        "points": [
            {
                "start": p.start.isoformat(),
                "tags": p.tags,
                "images": p.images,
                "bytes": p.bytes,
                "pushes": p.pushes,
            }
            for p in growth.points
        ],
    }


def reclaimable_json(reclaimable: Reclaimable) -> dict[str, Any]:
    return {"bytes": reclaimable.bytes, "manifests": reclaimable.manifests}


def image_json(registry: Registry, image: ImageFigures) -> dict[str, Any]:
    return {
        "digest": image.digest,
        "kind": image.kind or None,
        "bytes": image.bytes,
        "repository": image.repository,
        "tags": list(image.tags),
        "created": _when(image.created),
        "web_url": repository_url(registry, image.repository, digest=image.digest),
    }


def repository_json(registry: Registry, figures: RepositoryFigures) -> dict[str, Any]:
    return {
        "repository": figures.name,
        "unique_bytes": figures.unique_bytes,
        "shared_bytes": figures.shared_bytes,
        "own_bytes": figures.own_bytes,
        "tags": figures.tags,
        "images": figures.images,
        "web_url": reverse("registries:storage_repository", args=[registry.name, figures.name]),
    }


class StorageApi(ApiView):
    talks_to_registry = False  # the figures come from the index

    def get(self, request: HttpRequest, name: str) -> JsonResponse:
        registry = self.registry(name)
        storage = registry_storage(registry=registry)
        figures = storage.figures
        wanted = request.GET.get("repository")
        if wanted is not None:
            repository = _repository(registry, wanted)
            detail = figures.repository(repository)
            if detail is None:
                raise ApiError(404, "not_found", "The index has no tag of this repository.")
            return JsonResponse(
                {
                    "registry": registry.name,
                    **repository_json(registry, detail.figures),
                    "largest_images": [image_json(registry, i) for i in detail.images],
                    "growth": growth_json(detail.growth),
                    "reclaimable": reclaimable_json(detail.reclaimable),
                }
            )
        return JsonResponse(
            {
                "registry": registry.name,
                "indexed": storage.indexed,
                "unique_bytes": figures.unique_bytes,
                "shared_bytes": figures.shared_bytes,
                "logical_bytes": figures.logical_bytes,
                "blobs": figures.blobs,
                "repositories": len(figures.repositories),
                "tags": figures.tags,
                "images": figures.images,
                "not_indexed": figures.not_indexed,
                "largest_repositories": [
                    repository_json(registry, r) for r in figures.largest_repositories(TOP)
                ],
                "largest_images": [image_json(registry, i) for i in figures.largest_images(TOP)],
                "growth": growth_json(figures.growth),
                "reclaimable": reclaimable_json(figures.reclaimable),
                "deletes": {"count": storage.deletes.count, "last": _when(storage.deletes.last)},
                "web_url": reverse("registries:storage", args=[registry.name]),
            }
        )
