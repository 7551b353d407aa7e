"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Kept true by tests: the document is validated, every response of the API test suite is checked
against it, and schemathesis runs generated requests against a live server.
"""

from typing import Any

from django.conf import settings

from registries.client.reference import NAME_TOTAL_LENGTH_MAX
from registries.inventory.search import QUERY_MAX_LENGTH, QUERY_MIN_LENGTH
from registries.validators import NAME_MAX_LENGTH

REPOSITORY_PATTERN = (
    r"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$"
)
REFERENCE_PATTERN = r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return schema | {"type": [*kind, "null"] if isinstance(kind, list) else [kind, "null"]}


STRING = {"type": "string"}
URL_PATH = {"type": "string", "description": "A path on this site."}
STRING_LIST = {"type": "array", "items": STRING}
STRING_MAP = {"type": "object", "additionalProperties": STRING}
DATE_TIME = {"type": "string", "format": "date-time"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


PAGING = {
    "count": {"type": "integer", "minimum": 0, "description": "Items in all pages."},
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
    "pages": {"type": "integer", "minimum": 1},
    "next": _nullable(URL_PATH),
    "previous": _nullable(URL_PATH),
}

DESCRIPTOR = {
    "media_type": STRING,
    "digest": STRING,
    "size": {"type": "integer", "minimum": 0},
    "platform": _nullable(STRING),
    "artifact_type": _nullable(STRING),
    "annotations": STRING_MAP,
}

INDEX_ORIGIN = {
    "source": {
        "enum": ["index", "registry"],
        "description": "Where the answer came from: regfront's index, or the registry, live "
        "(not indexed yet).",
    },
    "indexed_at": _nullable(DATE_TIME) | {"description": "When the index last synced it."},
    "index_state": {
        "enum": ["none", "fresh", "stale", "running", "failed"],
        "description": "`none`: not indexed; `stale`: older than REGFRONT_INDEX_MAX_AGE (a "
        "sync is queued); `failed`: the last sync failed, so the index may be stale.",
    },
}

SEARCH_TAG = {
    "registry": STRING,
    "repository": STRING,
    "tag": STRING,
    "digest": STRING,
    "via": _nullable(STRING),
    "web_url": URL_PATH,
    "manifest_url": URL_PATH,
}


def _search_group(item: str) -> dict[str, Any]:
    return _object({"hits": {"type": "array", "items": _ref(item)}, "more": {"type": "boolean"}})


SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {"error": _object({"code": STRING, "message": STRING})},
        "Every failure: a machine-readable code and a sentence for people.",
    ),
    "Status": _object(
        {
            "state": {"enum": ["online", "unauthorized", "unreachable", "slow", "error"]},
            "message": STRING,
            "auth_mode": _nullable({"type": "string", "enum": ["none", "basic", "bearer", None]}),
            "api_version": _nullable(STRING),
        },
        "The registry's answer to GET /v2/, checked concurrently and cached briefly.",
    ),
    "Registry": _object(
        {
            "name": STRING,
            "host": STRING,
            "status": _ref("Status"),
            "repository_count": _nullable({"type": "integer", "minimum": 0}),
            **INDEX_ORIGIN,
            "repositories_url": URL_PATH,
            "web_url": URL_PATH,
        }
    ),
    "RegistryList": _object({"registries": {"type": "array", "items": _ref("Registry")}}),
    "Repository": _object({"name": STRING, "pinned": {"type": "boolean"}, "tags_url": URL_PATH}),
    "RepositoryList": _object(
        {
            "registry": STRING,
            "catalog": _object(
                {"available": {"type": "boolean"}, "message": _nullable(STRING)},
                "available is false when the registry does not list its repositories "
                "(401/403/404/405 on _catalog): the list then holds the pinned ones only.",
            ),
            **PAGING,
            "repositories": {"type": "array", "items": _ref("Repository")},
        }
    ),
    "Tag": _object(
        {
            "tag": STRING,
            "digest": _nullable(STRING),
            "media_type": _nullable(STRING),
            "kind": {
                "enum": ["image", "index", "artifact", "schema1", "signature", "attestation", None]
            },
            "size": _nullable({"type": "integer", "minimum": 0}),
            "created": _nullable(DATE_TIME),
            "platforms": STRING_LIST,
            "error": _nullable(STRING),
        },
        "One tag; when it cannot be read, `error` says why and the rest is null.",
    ),
    "TagList": _object(
        {
            "registry": STRING,
            "repository": STRING,
            **INDEX_ORIGIN,
            **PAGING,
            "tags": {"type": "array", "items": _ref("Tag")},
        }
    ),
    "Descriptor": _object(DESCRIPTOR),
    "PlatformDescriptor": _object(DESCRIPTOR | {"attestation": {"type": "boolean"}}),
    "HistoryEntry": _object(
        {
            "created": _nullable(DATE_TIME),
            "created_by": STRING,
            "comment": STRING,
            "empty_layer": {"type": "boolean"},
        }
    ),
    "Config": _object(
        {
            "created": _nullable(DATE_TIME),
            "author": STRING,
            "os": STRING,
            "architecture": STRING,
            "variant": _nullable(STRING),
            "user": STRING,
            "working_dir": STRING,
            "env": STRING_LIST,
            "entrypoint": STRING_LIST,
            "cmd": STRING_LIST,
            "exposed_ports": STRING_LIST,
            "volumes": STRING_LIST,
            "labels": STRING_MAP,
            "history": {"type": "array", "items": _ref("HistoryEntry")},
        }
    ),
    "Manifest": _object(
        {
            "registry": STRING,
            "repository": STRING,
            "tag": _nullable(STRING),
            "digest": STRING,
            "media_type": STRING,
            "kind": {"enum": ["image", "index", "artifact", "schema1"]},
            "total_size": _nullable({"type": "integer", "minimum": 0}),
            "platforms": {"type": "array", "items": _ref("PlatformDescriptor")},
            "layers": {"type": "array", "items": _ref("Descriptor")},
            "config": {"oneOf": [_ref("Config"), {"type": "null"}]},
            "referrers": {
                "oneOf": [{"type": "array", "items": _ref("Descriptor")}, {"type": "null"}]
            },
            "pull": STRING,
            "web_url": URL_PATH,
        },
        "An index lists platforms; an image has layers and a config; null when not applicable.",
    ),
    "Root": _object({"registries_url": URL_PATH, "openapi_url": URL_PATH}),
    "SearchRepository": _object(
        {"registry": STRING, "repository": STRING, "web_url": URL_PATH, "tags_url": URL_PATH}
    ),
    "SearchTag": _object(SEARCH_TAG, "A tag; `via` is the platform image found in its index."),
    "SearchLabel": _object(SEARCH_TAG | {"key": STRING, "value": STRING}),
    "SearchResults": _object(
        {
            "query": STRING,
            "repositories": _search_group("SearchRepository"),
            "tags": _search_group("SearchTag"),
            "digests": _search_group("SearchTag"),
            "labels": _search_group("SearchLabel"),
        },
        "Each group holds at most `limit` hits; `more` says there were others.",
    ),
}


FILE_ENTRY = {
    "name": STRING,
    "path": {
        "type": "string",
        "description": "Inside the image, no leading `/`; empty for the root.",
    },
    "kind": {"enum": ["file", "dir", "symlink", "hardlink", "other"]},
    "size": _nullable({"type": "integer", "minimum": 0})
    | {"description": "Files and hard links (their target's); null for the rest."},
    "mode": _nullable({"type": "integer", "minimum": 0, "maximum": 0o7777})
    | {
        "description": "Permission bits (with setuid, setgid, sticky); null for a directory "
        "only implied by the paths below it."
    },
    "permissions": _nullable(STRING) | {"description": "As `ls -l` shows them."},
    "uid": _nullable({"type": "integer"}),
    "gid": _nullable({"type": "integer"}),
    "user": _nullable(STRING),
    "group": _nullable(STRING),
    "link": _nullable(STRING) | {"description": "A symlink's target, a hard link's path."},
    "layer": {
        "type": "integer",
        "minimum": 0,
        "description": "The layer (from 1) that last changed it; 0 for the root.",
    },
    "web_url": URL_PATH,
}
FILE_LAYER = {
    "number": {"type": "integer", "minimum": 1},
    "digest": STRING,
    "size": {"type": "integer", "minimum": 0},
    "state": {"enum": ["pending", "listing", "ready", "failed"]},
    "entry_count": _nullable({"type": "integer", "minimum": 0}),
    "refused_count": _nullable({"type": "integer", "minimum": 0})
    | {"description": "Entries left out: names pointing outside the image."},
    "error": _nullable(STRING) | {"description": "Why it cannot be listed."},
    "limit": _nullable(STRING) | {"description": "The setting that stopped it, if one did."},
    "retried": {
        "type": "boolean",
        "description": "Failed because the registry did: tried again on the next request.",
    },
}
SCHEMAS |= {
    "FileEntry": _object(FILE_ENTRY),
    "FileLayer": _object(FILE_LAYER, "A layer and how far its listing is."),
    "FilePlatform": _object({"platform": STRING, "digest": STRING, "files_url": URL_PATH}),
    "FileEntries": _object(
        PAGING | {"items": {"type": "array", "items": _ref("FileEntry")}},
        "One page of a directory's entries, by name.",
    ),
    "FileListing": _object(
        {
            "registry": STRING,
            "repository": STRING,
            "reference": STRING,
            "digest": STRING,
            "kind": {"enum": ["image", "index", "artifact", "schema1"]},
            "path": STRING,
            "platforms": {"type": "array", "items": _ref("FilePlatform")},
            "state": {
                "enum": ["pending", "listing", "ready", "failed", None],
                "description": "All layers in one word (failed, else listing, else pending, "
                "else ready); null for what is not an image.",
            },
            "layers": {"type": "array", "items": _ref("FileLayer")},
            "entry": {"oneOf": [_ref("FileEntry"), {"type": "null"}]},
            "entries": {"oneOf": [_ref("FileEntries"), {"type": "null"}]},
            "web_url": URL_PATH,
        },
        "An image's merged filesystem at `path` once every layer is listed (`entry`, and "
        "`entries` for a directory; null before); an index lists its platforms instead.",
    ),
}


def _or_null(name: str) -> dict[str, Any]:
    return {"oneOf": [_ref(name), {"type": "null"}]}


SUPPLY_CHAIN_WHERE = {
    "source": {
        "enum": ["referrer", "index", "tag"],
        "description": "Where it was found: an OCI referrer (its `subject` is the image), a "
        "BuildKit attestation manifest in the image's index, or cosign's tag scheme "
        "(`sha256-<hex>.sig`, `.att`, `.sbom`).",
    },
    "found_by": _nullable(STRING) | {"description": "The cosign tag it was found by."},
    "artifact": STRING | {"description": "The artifact manifest's digest."},
    "layer": STRING | {"description": "The digest of the blob holding it."},
    "about": _nullable(STRING) | {"description": "The digest of the image it is about."},
    "platform": _nullable(STRING) | {"description": "An index attestation's platform."},
    "error": _nullable(STRING) | {"description": "Why it cannot be read (too big, not JSON…)."},
}
VERIFICATION = _or_null("SupplyChainVerification")
SCHEMAS |= {
    "SupplyChainVerification": _object(
        {
            "state": {"enum": ["verified", "failed", "unverified"]},
            "message": STRING,
            "key": _nullable(STRING) | {"description": "The registry's key that signed it."},
        },
        "`verified`: a key configured on the registry signed it, for this image; `failed`: "
        "it does not verify; `unverified`: signed, but not checkable here (keyless, or no "
        "key configured).",
    ),
    "SupplyChainSignature": _object(SUPPLY_CHAIN_WHERE | {"verification": VERIFICATION}),
    "SupplyChainPackage": _object(
        {"name": STRING, "version": STRING, "type": STRING, "license": STRING, "purl": STRING}
    ),
    "SupplyChainSbom": _object(
        SUPPLY_CHAIN_WHERE
        | {
            "format": _nullable(STRING) | {"description": "`SPDX 2.3`, `CycloneDX 1.5`…"},
            "name": _nullable(STRING),
            "package_count": _nullable({"type": "integer", "minimum": 0}),
            "packages": {"type": "array", "items": _ref("SupplyChainPackage")},
            "verification": VERIFICATION,
        }
    ),
    "SupplyChainProvenance": _object(
        SUPPLY_CHAIN_WHERE
        | {
            "version": {"enum": ["v0.2", "v1", None]},
            "builder_id": _nullable(STRING),
            "build_type": _nullable(STRING),
            "source_repository": _nullable(STRING),
            "source_commit": _nullable(STRING),
            "parameters": {
                "type": "array",
                "items": _object({"name": STRING, "value": STRING}),
                "description": "Build arguments (v0.2) or external parameters (v1), flattened.",
            },
            "materials": {
                "type": "array",
                "items": _object({"uri": STRING, "digest": _nullable(STRING)}),
            },
            "materials_count": {"type": "integer", "minimum": 0},
            "verification": VERIFICATION,
        },
        "SLSA provenance: v0.2 materials or v1 resolved dependencies.",
    ),
    "SupplyChainAttestation": _object(
        SUPPLY_CHAIN_WHERE
        | {
            "predicate_type": _nullable(STRING),
            "media_type": STRING,
            "verification": VERIFICATION,
        }
    ),
    "SupplyChainProblem": _object(
        {"source": SUPPLY_CHAIN_WHERE["source"], "artifact": STRING, "message": STRING}
    ),
    "SupplyChain": _object(
        {
            "registry": STRING,
            "repository": STRING,
            "reference": STRING,
            "digest": STRING,
            "badge": _object(
                {
                    "state": {"enum": ["verified", "failed", "signed", "unsigned", "unknown"]},
                    "message": STRING,
                }
            ),
            "signatures": {"type": "array", "items": _ref("SupplyChainSignature")},
            "sboms": {"type": "array", "items": _ref("SupplyChainSbom")},
            "provenance": {"type": "array", "items": _ref("SupplyChainProvenance")},
            "attestations": {"type": "array", "items": _ref("SupplyChainAttestation")},
            "problems": {"type": "array", "items": _ref("SupplyChainProblem")},
            "more": {"type": "integer", "minimum": 0, "description": "Artifacts not read."},
            "web_url": URL_PATH,
        },
        "An image's signatures (checked against the registry's keys), SBOMs, provenance and "
        "other attestations, wherever they are attached.",
    ),
}


COMPARE_FACTS = _object(
    {
        "kind": {"enum": ["file", "dir", "symlink", "hardlink", "other"]},
        "size": _nullable({"type": "integer", "minimum": 0}),
        "permissions": STRING | {"description": "As `ls -l` shows them."},
        "owner": STRING | {"description": "user:group (names, else ids)."},
        "link": _nullable(STRING),
    }
)
SCHEMAS |= {
    "CompareImage": _object(
        {
            "reference": STRING | {"description": "As sent."},
            "registry": STRING,
            "repository": STRING,
            "tag": _nullable(STRING),
            "digest": STRING | {"description": "The image compared (an index's platform image)."},
            "index_digest": _nullable(STRING),
            "platform": _nullable(STRING),
            "web_url": URL_PATH,
        }
    ),
    "CompareFileChange": _object(
        {
            "path": STRING,
            "change": {"enum": ["added", "removed", "changed"]},
            "what": {
                "type": "array",
                "items": {"enum": ["kind", "size", "mode", "owner", "link"]},
                "description": "For `changed`: which facts differ.",
            },
            "a": {"oneOf": [COMPARE_FACTS, {"type": "null"}]},
            "b": {"oneOf": [COMPARE_FACTS, {"type": "null"}]},
        }
    ),
    "CompareFiles": _object(
        {
            "counts": _object(
                {k: {"type": "integer", "minimum": 0} for k in ("added", "removed", "changed")}
            )
        }
        | PAGING
        | {"items": {"type": "array", "items": _ref("CompareFileChange")}},
        "All changes counted; one page of those matching `q` and `change`, by path.",
    ),
    "Comparison": _object(
        {
            "a": _ref("CompareImage"),
            "b": _ref("CompareImage"),
            "platform": _nullable(STRING) | {"description": "The platform chosen of an index."},
            "config": {
                "type": "array",
                "items": _object(
                    {
                        "field": STRING,
                        "a": _nullable(STRING),
                        "b": _nullable(STRING),
                        "differs": {"type": "boolean"},
                    }
                ),
            },
            "layers": {
                "type": "array",
                "items": _object(
                    {
                        "digest": STRING,
                        "size": {"type": "integer", "minimum": 0},
                        "a": _nullable({"type": "integer", "minimum": 1}),
                        "b": _nullable({"type": "integer", "minimum": 1}),
                        "change": {"enum": ["shared", "added", "removed"]},
                    }
                ),
            },
            "history": {
                "type": "array",
                "items": _object(
                    {"a": _nullable(STRING), "b": _nullable(STRING), "differs": {"type": "boolean"}}
                ),
            },
            "state": {
                "enum": ["pending", "listing", "ready", "failed"],
                "description": "Both images' layer listings in one word.",
            },
            "files": _or_null("CompareFiles"),
            "web_url": URL_PATH,
        },
        "What b changed against a; `files` is null until every layer of both is listed.",
    ),
}


RETENTION_DIGEST = _object({"digest": STRING, "tags": STRING_LIST})
SCHEMAS |= {
    "RetentionPolicy": _object(
        {
            "name": STRING,
            "repositories": STRING_LIST | {"description": "Glob patterns; * also matches /."},
            "keep_last": _nullable({"type": "integer", "minimum": 0}),
            "order": {"enum": ["created", "version"]},
            "keep_days": _nullable({"type": "integer", "minimum": 0}),
            "keep_regex": STRING,
            "protect": STRING_LIST | {"description": "Tag patterns never deleted."},
            "paused": {"type": "boolean"},
            "interval": _nullable({"type": "integer", "minimum": 0})
            | {"description": "Seconds between scheduled runs; null: by hand only."},
            "updated_at": DATE_TIME,
            "plan_url": URL_PATH,
            "web_url": URL_PATH,
        }
    ),
    "RetentionPolicyList": _object(
        {"registry": STRING, "policies": {"type": "array", "items": _ref("RetentionPolicy")}}
    ),
    "RetentionPlan": _object(
        {
            "repositories": {
                "type": "array",
                "items": _object(
                    {
                        "repository": STRING,
                        "delete": {"type": "array", "items": RETENTION_DIGEST},
                        "keep": {
                            "type": "array",
                            "items": _object({"tag": STRING, "digest": STRING, "reason": STRING}),
                        },
                        "skipped": {"type": "array", "items": {"type": "object"}},
                    }
                ),
            },
            "reclaimable_bytes": {"type": "integer", "minimum": 0}
            | {"description": "What a registry garbage collection would then free."},
        },
        "What a run would delete (by digest, with every tag on it) and keep (with the rule "
        "that decided), from the index; the object `manage.py retention --dry-run --json` "
        "prints.",
    ),
}


COUNT = {"type": "integer", "minimum": 0}
STORAGE_GROWTH = _object(
    {
        "unit": {"enum": ["day", "week", "month", "year"]},
        "points": {
            "type": "array",
            "items": _object(
                {
                    "start": DATE_TIME,
                    "tags": COUNT,
                    "images": COUNT,
                    "bytes": COUNT,
                    "pushes": COUNT,
                },
                "Totals at the end of the bucket that starts at `start`; `pushes`: the tag "
                "pushes the registry's webhook reported in that bucket.",
            ),
        },
    },
    "What is tagged now, by when the index first saw each tag.",
)
STORAGE_RECLAIMABLE = _object(
    {"bytes": COUNT, "manifests": COUNT},
    "An estimate: blobs of indexed manifests no tag reaches any more, less every blob a "
    "tagged image uses; what garbage collection (with --delete-untagged) would free.",
)
STORAGE_IMAGE = _object(
    {
        "digest": STRING,
        "kind": _nullable(STRING),
        "bytes": COUNT | {"description": "Layers and config; an index: its images' blobs once."},
        "repository": STRING,
        "tags": STRING_LIST,
        "created": _nullable(DATE_TIME),
        "web_url": URL_PATH,
    }
)
STORAGE_REPOSITORY = {
    "repository": STRING,
    "unique_bytes": COUNT | {"description": "Each blob it uses, once."},
    "shared_bytes": COUNT | {"description": "Of those, blobs another repository also uses."},
    "own_bytes": COUNT | {"description": "Blobs only this repository uses."},
    "tags": COUNT,
    "images": COUNT,
    "web_url": URL_PATH,
}
SCHEMAS |= {
    "RegistryStorage": _object(
        {
            "registry": STRING,
            "indexed": {"type": "boolean"},
            "unique_bytes": COUNT | {"description": "Each blob once, registry-wide."},
            "shared_bytes": COUNT,
            "logical_bytes": COUNT | {"description": "Every repository's unique bytes added."},
            "blobs": COUNT,
            "repositories": COUNT,
            "tags": COUNT,
            "images": COUNT,
            "not_indexed": COUNT | {"description": "Tagged digests not indexed yet."},
            "largest_repositories": {"type": "array", "items": _object(STORAGE_REPOSITORY)},
            "largest_images": {"type": "array", "items": STORAGE_IMAGE},
            "growth": STORAGE_GROWTH,
            "reclaimable": STORAGE_RECLAIMABLE,
            "deletes": _object({"count": COUNT, "last": _nullable(DATE_TIME)}),
            "web_url": URL_PATH,
        },
        "Bytes of layers and configs from the index, each blob counted once.",
    ),
    "RepositoryStorage": _object(
        {
            "registry": STRING,
            **STORAGE_REPOSITORY,
            "largest_images": {"type": "array", "items": STORAGE_IMAGE},
            "growth": STORAGE_GROWTH,
            "reclaimable": STORAGE_RECLAIMABLE
            | {"description": "From the deletes regfront recorded in this repository."},
        }
    ),
    "Storage": {"oneOf": [_ref("RegistryStorage"), _ref("RepositoryStorage")]},
}


def _error(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if retry_after:
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        }
    return response


UNAUTHENTICATED = _error("An invalid API token, or none while the site requires logging in.")
NOT_FOUND = _error("No such registry (or not visible to you), repository, tag, digest or page.")
REGISTRY_ERRORS = {
    "400": _error("A malformed repository name, tag, digest or query parameter."),
    "401": UNAUTHENTICATED,
    "403": _error("The registry denied regfront access."),
    "404": NOT_FOUND,
    "502": _error(
        "The registry is unreachable, rejected regfront's credentials or answered with "
        "something unusable."
    ),
    "503": _error(
        "The registry is rate limiting regfront (`rate_limited`), or regfront is already "
        "waiting on it for as many requests as it allows (`registry_busy`).",
        retry_after=True,
    ),
    "504": _error(
        "The registry did not answer in time, or its list did not end within regfront's "
        "page budget or deadline (`registry_list_too_long`)."
    ),
}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _path_parameter(name: str, schema: dict[str, Any], example: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "example": example,
        "description": description,
    }


REGISTRY_NAME = _path_parameter(
    "registry",
    {"type": "string", "pattern": "^[a-z0-9]+$", "maxLength": NAME_MAX_LENGTH},
    "local",
    "The registry's name in regfront.",
)
REPOSITORY = _path_parameter(
    "repository",
    {"type": "string", "pattern": REPOSITORY_PATTERN, "maxLength": NAME_TOTAL_LENGTH_MAX},
    "app",
    "A repository name; its `/` may be sent as they are or as %2F. On Docker Hub a single "
    "name means `library/<name>`.",
)
REFERENCE = _path_parameter(
    "reference",
    {"type": "string", "pattern": REFERENCE_PATTERN},
    "latest",
    "A tag, or a digest (sha256:<64 hex>).",
)
QUERY = {
    "name": "q",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Only names containing this text (case-insensitive).",
}
PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "default": 1},
}
PER_PAGE = {
    "name": "per_page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
}


FILES_REFERENCE = {
    "name": "reference",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": REFERENCE_PATTERN},
    "example": "latest",
    "description": "A tag, or a digest (sha256:<64 hex>).",
}
SUPPLY_CHAIN_QUERY = QUERY | {
    "description": "Only SBOM packages with this text in a column (case-insensitive).",
}
FILES_PATH = {
    "name": "path",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "default": ""},
    "description": "A path inside the image (`usr/bin`); empty for the root.",
}
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
COMPARE_REFERENCE_PATTERN = (
    rf"^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{{1,5}})?/{_PATH_PART}(?:/{_PATH_PART})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?$"
)
COMPARE_REFERENCE = {
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": COMPARE_REFERENCE_PATTERN, "maxLength": 200},
    "description": "An image as people paste it: `registry-name/repo:tag`, "
    "`host[:port]/repo@sha256:…` (the host of a configured registry).",
}
SEARCH_QUERY = {
    "name": "q",
    "in": "query",
    "required": True,
    # No NUL: no database text can hold one.
    "schema": {
        "type": "string",
        "minLength": QUERY_MIN_LENGTH,
        "maxLength": QUERY_MAX_LENGTH,
        "pattern": "^[^\\u0000]*$",
    },
    "example": "app",
    "description": "Part of a repository or tag name, a digest prefix (at least 7 hex digits, "
    "`sha256:` optional; text starting `sha256:` must be one) or part of a label value; "
    "any case.",
}
SEARCH_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "description": "Hits per group.",
}


POLICY_NAME = _path_parameter(
    "policy",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 63},
    "nightly",
    "A retention policy's name on that registry.",
)
RETENTION_UNAUTHENTICATED = _error("An invalid API token, or neither a login session nor a token.")
RETENTION_FORBIDDEN = _error("You may see the registry but not change it, so not its retention.")


def _get(operation_id: str, summary: str, parameters: list, responses: dict) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "responses": responses,
        }
    }


PATHS = {
    "/": _get("root", "Links to the API's collections.", [], {"200": _ok("Root", "Links.")}),
    "/registries": _get(
        "listRegistries",
        "The registries visible to you, with their live status.",
        [],
        {"200": _ok("RegistryList", "Registries."), "401": UNAUTHENTICATED},
    ),
    "/registries/{registry}": _get(
        "getRegistry",
        "One registry with its live status.",
        [REGISTRY_NAME],
        {"200": _ok("Registry", "The registry."), "401": UNAUTHENTICATED, "404": NOT_FOUND},
    ),
    "/registries/{registry}/repositories": _get(
        "listRepositories",
        "The registry's repositories (its catalog), pinned repositories first.",
        [REGISTRY_NAME, QUERY, PAGE, PER_PAGE],
        {"200": _ok("RepositoryList", "One page of repositories."), **REGISTRY_ERRORS},
    ),
    "/registries/{registry}/repositories/{repository}/tags": _get(
        "listTags",
        "A repository's tags, naturally sorted (1.2 before 1.10), with digest, size, "
        "created time and platforms: from the index once it has the repository, else live.",
        [REGISTRY_NAME, REPOSITORY, QUERY, PAGE, PER_PAGE],
        {"200": _ok("TagList", "One page of tags."), **REGISTRY_ERRORS},
    ),
    "/registries/{registry}/repositories/{repository}/manifests/{reference}": _get(
        "getManifest",
        "What a tag or digest points at: manifest summary, platforms, layers and config.",
        [REGISTRY_NAME, REPOSITORY, REFERENCE],
        {"200": _ok("Manifest", "The manifest."), **REGISTRY_ERRORS},
    ),
    "/registries/{registry}/repositories/{repository}/files": _get(
        "listFiles",
        "The files inside an image: its layers' listing states, the entry at `path` and, "
        "for a directory, one page of its entries (listing small layers now, big ones in "
        "the background).",
        [REGISTRY_NAME, REPOSITORY, FILES_REFERENCE, FILES_PATH, PAGE, PER_PAGE],
        {
            "200": _ok("FileListing", "The image's files at `path`."),
            **REGISTRY_ERRORS,
            "404": _error(
                "No such registry (or not visible to you), repository, tag, digest, path in "
                "the image, or page."
            ),
        },
    ),
    "/registries/{registry}/repositories/{repository}/supply-chain": _get(
        "getSupplyChain",
        "An image's signatures (cosign, verified with the registry's public keys), SBOMs as "
        "package tables, SLSA provenance and other attestations: from OCI referrers, "
        "BuildKit attestations in its index and cosign's tags.",
        [REGISTRY_NAME, REPOSITORY, FILES_REFERENCE, SUPPLY_CHAIN_QUERY],
        {"200": _ok("SupplyChain", "What is attached to the image."), **REGISTRY_ERRORS},
    ),
    "/registries/{registry}/storage": _get(
        "getStorage",
        "Storage figures from the index: unique and shared bytes, the largest repositories "
        "and images, growth over time, what garbage collection may reclaim; one repository's "
        "with `repository`.",
        [
            REGISTRY_NAME,
            {
                "name": "repository",
                "in": "query",
                "required": False,
                "schema": REPOSITORY["schema"],
                "example": "app",
                "description": "A repository: its figures instead of the registry's.",
            },
        ],
        {
            "200": _ok("Storage", "RegistryStorage, or RepositoryStorage with `repository`."),
            "400": _error("A malformed repository name."),
            "401": UNAUTHENTICATED,
            "404": _error(
                "No such registry (or not visible to you), or no tag of the "
                "repository in the index."
            ),
        },
    ),
    "/registries/{registry}/retention": _get(
        "listRetentionPolicies",
        "The registry's retention policies (needs permission to change registries).",
        [REGISTRY_NAME],
        {
            "200": _ok("RetentionPolicyList", "The policies."),
            "401": RETENTION_UNAUTHENTICATED,
            "403": RETENTION_FORBIDDEN,
            "404": NOT_FOUND,
        },
    ),
    "/registries/{registry}/retention/{policy}/plan": _get(
        "getRetentionPlan",
        "A retention policy's dry-run plan from the index: per repository what goes and what "
        "stays, and the bytes garbage collection would reclaim.",
        [REGISTRY_NAME, POLICY_NAME],
        {
            "200": _ok("RetentionPlan", "The plan; nothing is deleted."),
            "401": RETENTION_UNAUTHENTICATED,
            "403": RETENTION_FORBIDDEN,
            "404": _error("No such registry (or not visible to you), or no such policy on it."),
        },
    ),
    "/compare": _get(
        "compareImages",
        "Two images' differences: config, layers (shared, added, removed), history and "
        "files (added, removed, changed), across repositories and registries.",
        [
            COMPARE_REFERENCE | {"name": "a", "example": "local/app:1.9.3"},
            COMPARE_REFERENCE | {"name": "b", "example": "local/app:1.10.0"},
            {
                "name": "platform",
                "in": "query",
                "required": False,
                "schema": STRING,
                "description": "Which platform of an index (`linux/arm64`); default "
                "linux/amd64 when both have it, or the only one they share.",
            },
            QUERY | {"description": "Only file changes whose path contains this text."},
            {
                "name": "change",
                "in": "query",
                "required": False,
                "schema": {"enum": ["added", "removed", "changed"]},
            },
            PAGE,
            PER_PAGE,
        ],
        {
            "200": _ok("Comparison", "The differences."),
            **REGISTRY_ERRORS,
            "400": _error("A reference missing or not an image reference, or a bad parameter."),
            "409": _error(
                "A reference to something else than an image (`not_comparable`), or indexes "
                "whose platform to compare is not given or not in both (`platform_required`)."
            ),
        },
    ),
    "/search": _get(
        "search",
        "Search the index of every registry visible to you: repositories and tags by name, "
        "where a digest is (an index's tags too, for its platform images), label values.",
        [SEARCH_QUERY, SEARCH_LIMIT],
        {
            "200": _ok("SearchResults", "The hits, grouped."),
            "400": _error("A query too short, too long or a digest prefix under 7 digits."),
            "401": UNAUTHENTICATED,
        },
    ),
}


def openapi_document(*, server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "regfront API",
            "version": "1",
            "description": "Read-only JSON over the registries regfront shows, with the same "
            "permissions as its pages: your session, or a personal API token sent as "
            "`Authorization: Bearer <token>` (create one at /account/api-tokens/). "
            'Errors are `{"error": {"code", "message"}}` with the pages\' status codes.',
        },
        "servers": [{"url": server_url}],
        "security": [{}, {"bearerToken": []}, {"session": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from /account/api-tokens/.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": settings.SESSION_COOKIE_NAME,
                    "description": "The portal's login session.",
                },
            },
        },
    }
