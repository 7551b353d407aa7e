"""Django-aware services over the registry client (HackSoft style: typed functions with
keyword-only arguments, named <thing>_<action>).

Everything fetched by digest is verified by the client and cached forever; what a registry
can change is cached for REGFRONT_CACHE_TTL seconds under a per-repository generation
(registries/services/cache.py). Views call these names; the modules hold one job each:

- definitions: registry rows, saved safely when many people change them at once
- status: registry health for the home page and "test connection"
- listings: catalogs and tag lists
- catalog: what a registry offers to browse (pinned first; why a closed one lists nothing)
- manifests: manifests, configs, tags resolving to them, the tag/digest page
- summaries: per-tag details for the repository page
- changes: deletes by digest
"""

from registries.services.catalog import (
    CatalogNames,
    CatalogPage,
    catalog_names,
    catalog_page,
)
from registries.services.changes import (
    DeletePlan,
    manifest_delete,
    manifest_delete_plan,
)
from registries.services.definitions import registry_delete, registry_save
from registries.services.listings import (
    ListingAge,
    catalog_age,
    catalog_cached_size,
    catalog_hidden_count,
    catalog_list,
    catalog_listing,
    natural_key,
    tag_hidden_count,
    tag_list,
    tag_list_age,
)
from registries.services.manifests import (
    ManifestDetail,
    PlatformRow,
    manifest_by_digest,
    manifest_detail,
    manifest_referrers,
    tag_digest,
    tag_manifest,
)
from registries.services.status import (
    RegistryStatus,
    registries_status,
    registry_test_connection,
)
from registries.services.summaries import ImageSummary, TagSummary, tag_summaries, tags_by_digest

__all__ = [
    "CatalogNames",
    "CatalogPage",
    "DeletePlan",
    "ImageSummary",
    "ListingAge",
    "ManifestDetail",
    "PlatformRow",
    "RegistryStatus",
    "TagSummary",
    "catalog_age",
    "catalog_cached_size",
    "catalog_hidden_count",
    "catalog_list",
    "catalog_listing",
    "catalog_names",
    "catalog_page",
    "manifest_by_digest",
    "manifest_delete",
    "manifest_delete_plan",
    "manifest_detail",
    "manifest_referrers",
    "natural_key",
    "registries_status",
    "registry_delete",
    "registry_save",
    "registry_test_connection",
    "tag_digest",
    "tag_hidden_count",
    "tag_list",
    "tag_list_age",
    "tag_manifest",
    "tag_summaries",
    "tags_by_digest",
]
