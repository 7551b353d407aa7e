"""Helper tags: cosign's `sha256-<hex>.sig`, `.att`, `.sbom` and the referrers tag schema's
`sha256-<hex>` are about an image, not images of their own. The repository page folds them
under the image they name instead of listing them as tags.

cosign: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md#tag-based-discovery
OCI: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HELPER_TAG = re.compile(r"sha256-([0-9a-f]{64})(?:\.(sig|att|sbom))?")
# Suffix → what it holds, in the order pages name them.
KINDS = {"sig": "signature", "att": "attestation", "sbom": "SBOM", "": "referrers"}


def helper_tag(tag: str) -> tuple[str, str] | None:
    """(the image digest, its kind) for a helper tag; None for any other tag."""
    if not tag.startswith("sha256-"):
        return None
    found = HELPER_TAG.fullmatch(tag)
    if found is None:
        return None
    return f"sha256:{found.group(1)}", KINDS[found.group(2) or ""]


def helper_tags_of(digest: str) -> dict[str, str]:
    """kind → the helper tag that would hold it, for an image digest (sha256 only)."""
    algorithm, _, encoded = digest.partition(":")
    if algorithm != "sha256":
        return {}
    base = f"sha256-{encoded}"
    return {kind: f"{base}.{suffix}" if suffix else base for suffix, kind in KINDS.items()}


@dataclass(frozen=True)
class FoldedTags:
    tags: list[str]  # the image tags, in the order given
    helpers: dict[str, list[str]] = field(default_factory=dict)  # image digest → kinds

    @property
    def folded(self) -> int:
        return sum(len(kinds) for kinds in self.helpers.values())


def fold_helper_tags(tags: list[str]) -> FoldedTags:
    kept: list[str] = []
    helpers: dict[str, set[str]] = {}
    for tag in tags:
        found = helper_tag(tag)
        if found is None:
            kept.append(tag)
        else:
            helpers.setdefault(found[0], set()).add(found[1])
    order = list(KINDS.values())
    return FoldedTags(
        kept, {digest: sorted(kinds, key=order.index) for digest, kinds in helpers.items()}
    )
