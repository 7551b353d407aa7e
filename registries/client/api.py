"""RegistryClient: the Registry HTTP API v2 / OCI distribution calls regfront makes.

OCI distribution spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
Docker registry API: https://distribution.github.io/distribution/spec/api/
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urljoin, urlsplit

import requests

from . import digests, errors
from . import media_types as mt
from ._json import loads
from .auth import CATALOG_SCOPE, AuthMode, TokenCache, delete_scope, pull_scope, push_scope
from .blobs import BlobReader
from .errors import NotFoundWhat
from .models import (
    Descriptor,
    FetchedManifest,
    ImageConfig,
    ImageIndex,
    Schema1Manifest,
    parse_config,
    parse_manifest,
)
from .netguard import GuardedAdapter
from .pagination import ListingBudget, ListingTooLong, check_page_size, next_link
from .reference import check_repository, check_tag, parse_digest
from .transport import Limits, Observer, Transport
from .wire import Reply

API_VERSION_HEADER = "Docker-Distribution-API-Version"
DIGEST_HEADER = "Docker-Content-Digest"
FILTERS_APPLIED_HEADER = "OCI-Filters-Applied"
DEFAULT_PAGE_SIZE = 1000
POOL_SIZE = 16
JSON_ACCEPT = {"Accept": "application/json"}
USER_AGENT = "regfront/1"
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024  # what one PATCH of a blob copy holds in memory
# How a registry deletes: a tag alone, only by digest (every sibling tag goes), or not at all.
DeleteSupport = Literal["tag", "digest", "off"]
DIGEST_ONLY = "This registry deletes by digest only: a tag cannot be removed alone."


@dataclass(frozen=True)
class PingResult:
    api_version: str | None  # "registry/2.0" from distribution; None when not sent
    auth_mode: AuthMode
    ok: bool  # /v2/ answered 200 (failures raise instead)


class RegistryClient:
    """Talks to one registry. Thread-safe: share one per registry and process."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str = "registry",
        username: str | None = None,
        password: str | None = None,
        verify: bool | str = True,
        limits: Limits | None = None,
        deny_private: bool = False,
        token_cache: TokenCache | None = None,
        observer: Observer | None = None,
        session: requests.Session | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("The registry URL must start with http:// or https://.")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("The registry URL must not contain credentials or a query.")
        # The API lives at /v2/ on the host root (as docker sees it): any path is dropped.
        base_url = f"{parts.scheme}://{parts.netloc}"
        self._own_session = session is None
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no ~/.netrc credentials or proxies from the env
            # Registry events name it, so regfront's own reads are not counted as pulls.
            session.headers["User-Agent"] = USER_AGENT
            adapter = GuardedAdapter(deny_private=deny_private, pool_maxsize=POOL_SIZE)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.name = name
        self.limits = limits or Limits()
        self._transport = Transport(
            base_url,
            name=name,
            session=session,
            username=username,
            password=password,
            verify=verify,
            limits=self.limits,
            deny_private=deny_private,
            token_cache=token_cache or TokenCache(),
            observer=observer,
        )

    def __repr__(self) -> str:
        return f"<RegistryClient {self.name} {self._transport.base_url}>"

    def close(self) -> None:
        if self._own_session:
            self._transport.session.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ping(self) -> PingResult:
        """Check /v2/ and authenticate for real, so wrong credentials raise Unauthorized."""
        # https://distribution.github.io/distribution/spec/api/#api-version-check
        try:
            reply = self._transport.send(
                "GET", "/v2/", max_bytes=self.limits.max_manifest_bytes, probe=True
            )
        except errors.NotFound as exc:
            raise errors.NotFound("This URL does not serve the registry API (/v2/).") from exc
        return PingResult(
            api_version=reply.headers.get(API_VERSION_HEADER),
            auth_mode=self._transport.auth_mode,
            ok=reply.status == 200,
        )

    # -- listings -------------------------------------------------------------------------

    def iter_catalog_pages(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[list[str]]:
        # https://distribution.github.io/distribution/spec/api/#catalog
        first = f"/v2/_catalog?n={check_page_size(page_size)}"
        yield from self._pages(
            first, "repositories", what="catalog", scope=CATALOG_SCOPE, not_found="page"
        )

    def catalog(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> list[str]:
        return [name for page in self.iter_catalog_pages(page_size=page_size) for name in page]

    def iter_tag_pages(
        self, repository: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[list[str]]:
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
        repository = check_repository(repository)
        first = f"/v2/{repository}/tags/list?n={check_page_size(page_size)}"
        yield from self._pages(
            first, "tags", what="tag list", scope=pull_scope(repository), not_found="repository"
        )

    def tags(self, repository: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> list[str]:
        """All tags, in the registry's order (unsorted)."""
        return [
            tag for page in self.iter_tag_pages(repository, page_size=page_size) for tag in page
        ]

    def _budget(self, what: str) -> ListingBudget:
        return ListingBudget(
            what, max_pages=self.limits.max_listing_pages, seconds=self.limits.listing_deadline
        )

    def _pages(
        self, url: str, key: str, *, what: str, scope: str, not_found: NotFoundWhat
    ) -> Iterator[list[str]]:
        """Follow ``Link`` to the end, within the listing budget (ListingTooLong beyond it)."""
        budget = self._budget(what)
        next_url: str | None = url
        while next_url:
            budget.check(next_url)
            try:
                reply = self._transport.send(
                    "GET", next_url, scopes=(scope,), headers=JSON_ACCEPT,
                    max_bytes=self.limits.max_json_bytes, not_found=not_found,
                    until=budget.deadline,
                )  # fmt: skip
            except errors.Timeout as exc:
                if budget.expired():  # the listing's deadline, not this request's own
                    raise budget.too_slow() from exc
                raise
            page = _string_list(reply.body, key)
            budget.names += len(page)
            yield page
            next_url = next_link(reply.headers.get("Link"), reply.url)

    # -- manifests and blobs --------------------------------------------------------------

    def manifest(
        self, repository: str, reference: str, *, if_none_match: str | None = None
    ) -> FetchedManifest | None:
        """Fetch and verify a manifest by tag or digest; None when ``if_none_match`` hits."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
        repository, reference = check_repository(repository), _identifier(reference)
        headers = {"Accept": mt.MANIFEST_ACCEPT_HEADER}
        if if_none_match:
            headers["If-None-Match"] = if_none_match
        reply = self._transport.send(
            "GET", f"/v2/{repository}/manifests/{reference}", scopes=(pull_scope(repository),),
            headers=headers, accept=(200, 304), max_bytes=self.limits.max_manifest_bytes,
            not_found="manifest",
        )  # fmt: skip
        if reply.status == 304:
            return None
        parsed = parse_manifest(reply.body, reply.headers.get("Content-Type"))
        return FetchedManifest(
            digest=_verified_digest(reply, reference, parsed),
            media_type=parsed.media_type,
            raw=reply.body,
            etag=reply.headers.get("ETag"),
            parsed=parsed,
        )

    def manifest_digest(self, repository: str, reference: str) -> str:
        """The digest a tag points at, by HEAD; falls back to GET without the header."""
        repository, reference = check_repository(repository), _identifier(reference)
        reply = self._transport.send(
            "HEAD", f"/v2/{repository}/manifests/{reference}", scopes=(pull_scope(repository),),
            headers={"Accept": mt.MANIFEST_ACCEPT_HEADER}, max_bytes=0, not_found="manifest",
        )  # fmt: skip
        header = reply.headers.get(DIGEST_HEADER, "").strip()
        if digests.is_digest(header):
            return header
        fetched = self.manifest(repository, reference)
        if fetched is None:  # cannot happen: no If-None-Match was sent
            raise errors.BadResponse("The registry answered 304 to a plain GET.")
        return fetched.digest

    def blob(self, repository: str, digest: str, *, max_bytes: int) -> bytes:
        """A whole blob, verified against its digest. Keep ``max_bytes`` small."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
        repository, digest = check_repository(repository), parse_digest(digest)
        reply = self._transport.send(
            "GET", f"/v2/{repository}/blobs/{digest}", scopes=(pull_scope(repository),),
            max_bytes=max_bytes, not_found="blob",
        )  # fmt: skip
        digests.verify(digest, reply.body, what="blob")
        return reply.body

    def blob_stream(
        self, repository: str, digest: str, *, max_bytes: int, seconds: float
    ) -> BlobReader:
        """A blob as a stream (close it), verified once read to the end; for layers.

        ``seconds`` bounds the whole read, however slowly the registry trickles it.
        """
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
        repository, digest = check_repository(repository), parse_digest(digest)
        deadline = time.monotonic() + seconds
        reply = self._transport.send(
            "GET", f"/v2/{repository}/blobs/{digest}", scopes=(pull_scope(repository),),
            max_bytes=max_bytes, not_found="blob", until=deadline, stream=True,
        )  # fmt: skip
        reader = BlobReader(reply.stream, digest=digest, max_bytes=max_bytes, deadline=deadline)
        length = reply.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            reader.close()
            raise errors.TooLarge("The blob is larger than regfront reads.")
        return reader

    def config_blob(self, repository: str, descriptor_or_digest: Descriptor | str) -> bytes:
        """The image config blob as sent (verified), within the manifest size cap."""
        cap = self.limits.max_manifest_bytes
        if isinstance(descriptor_or_digest, Descriptor):
            if descriptor_or_digest.size > cap:
                raise errors.TooLarge("The image config is larger than regfront reads.")
            descriptor_or_digest = descriptor_or_digest.digest
        return self.blob(repository, descriptor_or_digest, max_bytes=cap)

    def config(self, repository: str, descriptor_or_digest: Descriptor | str) -> ImageConfig:
        """The image config blob, parsed."""
        return parse_config(self.config_blob(repository, descriptor_or_digest))

    def referrers(
        self, repository: str, digest: str, *, artifact_type: str | None = None
    ) -> list[Descriptor] | None:
        """Manifests whose ``subject`` is ``digest`` (OCI 1.1); None when unsupported."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
        repository, digest = check_repository(repository), parse_digest(digest)
        url: str | None = f"/v2/{repository}/referrers/{digest}"
        if artifact_type:
            url += f"?artifactType={quote(artifact_type, safe='')}"
        found: list[Descriptor] = []
        filtered = False
        budget = self._budget("referrers list")
        while url is not None:
            try:
                budget.check(url)
            except (ListingTooLong, errors.BadResponse):
                break  # endless or looping: keep the referrers found so far, as before
            try:
                reply = self._transport.send(
                    "GET", url, scopes=(pull_scope(repository),),
                    headers={"Accept": mt.OCI_INDEX}, accept=(200, 404, 405),
                    max_bytes=self.limits.max_json_bytes, until=budget.deadline,
                )  # fmt: skip
            except errors.Timeout:
                if budget.expired() and found:
                    break  # out of time for more pages: keep those found
                raise
            index = _referrers_index(reply)
            if index is None:
                return found or None
            found.extend(index.manifests)
            filtered = filtered or "artifactType" in reply.headers.get(FILTERS_APPLIED_HEADER, "")
            url = next_link(reply.headers.get("Link"), reply.url)
        if artifact_type and not filtered:
            found = [d for d in found if d.artifact_type == artifact_type]
        return found

    def delete_manifest(self, repository: str, digest: str) -> None:
        """Delete by digest; every tag pointing at it goes too. Unsupported if disabled."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#deleting-manifests
        repository, digest = check_repository(repository), parse_digest(digest)
        self._transport.send(
            "DELETE", f"/v2/{repository}/manifests/{digest}", scopes=(delete_scope(repository),),
            accept=(200, 202, 204), max_bytes=self.limits.max_error_bytes, not_found="manifest",
        )  # fmt: skip

    def put_manifest(self, repository: str, reference: str, raw: bytes, media_type: str) -> str:
        """Store these exact manifest bytes under a tag (retag, restore, copy) or by their
        digest (an index's platform manifests); their digest. The registry checks that
        every blob and child manifest they name exists."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-manifests
        repository, reference = check_repository(repository), _identifier(reference)
        if len(raw) > self.limits.max_manifest_bytes:
            raise errors.TooLarge()
        digest = digests.compute(raw)
        if ":" in reference and reference != digest:
            raise errors.DigestMismatch("These manifest bytes have another digest.")
        reply = self._transport.send(
            "PUT", f"/v2/{repository}/manifests/{reference}", scopes=(push_scope(repository),),
            headers={"Content-Type": media_type}, body=raw, accept=(200, 201),
            max_bytes=self.limits.max_error_bytes, not_found="repository",
        )  # fmt: skip
        answered = reply.headers.get(DIGEST_HEADER, "").strip()
        if answered and answered != digest:
            raise errors.DigestMismatch("The registry stored the manifest under another digest.")
        return digest

    def mount_blob(self, repository: str, digest: str, source: str) -> str | None:
        """Cross-repository mount of a blob from `source` on this registry: None when mounted
        (201); else the upload the registry opened instead (202), to upload into."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
        repository, source, digest = (
            check_repository(repository),
            check_repository(source),
            parse_digest(digest),
        )
        query = f"mount={digest}&from={quote(source, safe='/')}"
        reply = self._transport.send(
            "POST", f"/v2/{repository}/blobs/uploads/?{query}",
            scopes=(push_scope(repository), pull_scope(source)), accept=(201, 202),
            max_bytes=self.limits.max_error_bytes, not_found="repository",
        )  # fmt: skip
        return None if reply.status == 201 else _upload_location(reply)

    def upload_blob(
        self, repository: str, digest: str, reader, *, location: str | None = None,
        chunk_bytes: int = UPLOAD_CHUNK_BYTES, on_chunk: Callable[[int], None] | None = None,
    ) -> int:  # fmt: skip
        """Upload what `reader.read(n)` gives, one chunk in memory at a time, and commit it
        as `digest`; the bytes sent. The registry checks the digest too."""
        # https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-a-blob-in-chunks
        repository, digest = check_repository(repository), parse_digest(digest)
        scopes = (push_scope(repository),)
        common = {"scopes": scopes, "max_bytes": self.limits.max_error_bytes}
        if location is None:
            opened = self._transport.send(
                "POST", f"/v2/{repository}/blobs/uploads/", accept=(202,), **common
            )
            location = _upload_location(opened)
        sent = 0
        while chunk := _read_up_to(reader, chunk_bytes):
            headers = {"Content-Type": "application/octet-stream",
                       "Content-Range": f"{sent}-{sent + len(chunk) - 1}"}  # fmt: skip
            reply = self._transport.send(
                "PATCH", location, headers=headers, body=chunk, accept=(202,), **common
            )
            location = _upload_location(reply, default=location)
            sent += len(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
        separator = "&" if "?" in location else "?"
        self._transport.send(
            "PUT", f"{location}{separator}digest={digest}", accept=(201,), body=b"", **common
        )
        return sent

    def blob_exists(self, repository: str, digest: str) -> bool:
        """Whether the registry still has the blob (garbage collection may have taken it)."""
        repository, digest = check_repository(repository), parse_digest(digest)
        try:
            self._transport.send(
                "HEAD", f"/v2/{repository}/blobs/{digest}", scopes=(pull_scope(repository),),
                max_bytes=0, not_found="blob",
            )  # fmt: skip
        except errors.NotFound:
            return False
        return True

    def delete_tag(self, repository: str, tag: str) -> None:
        """Remove the tag alone: its manifest and every other tag on it stay (OCI distribution
        spec 1.1; distribution 3, zot, Harbor). Unsupported where deletes are by digest only:
        distribution 2.8 reads the tag as a digest and answers 400 DIGEST_INVALID."""
        repository, tag = check_repository(repository), check_tag(tag)
        try:
            self._transport.send(
                "DELETE", f"/v2/{repository}/manifests/{tag}", scopes=(delete_scope(repository),),
                accept=(200, 202, 204), max_bytes=self.limits.max_error_bytes, not_found="manifest",
            )  # fmt: skip
        except errors.BadResponse as exc:
            if exc.status != 400:
                raise
            raise errors.Unsupported(DIGEST_ONLY, status=400) from exc

    def delete_support(self, repository: str) -> DeleteSupport:
        """How this registry deletes, asked without changing anything: a tag-only DELETE of a
        tag that cannot exist answers 404 where tags can go alone, 400 where deletes are by
        digest only, 405 where deletes are off."""
        probe = f"regfront-probe-{secrets.token_hex(8)}"
        try:
            self.delete_tag(repository, probe)
        except errors.NotFound:
            return "tag"
        except errors.Unsupported as exc:
            return "digest" if exc.status == 400 else "off"
        return "tag"  # 202: a registry that untags without looking first


def _upload_location(reply: Reply, *, default: str = "") -> str:
    location = reply.headers.get("Location", "").strip() or default
    if not location:
        raise errors.BadResponse("The registry opened an upload without saying where.")
    return urljoin(reply.url, location)


def _read_up_to(reader, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end (where a BlobReader checks the digest)."""
    parts, have = [], 0
    while have < size:
        part = reader.read(size - have)
        if not part:
            break
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def _identifier(reference: str) -> str:
    """A manifest reference is a digest (has ':') or a tag."""
    return parse_digest(reference) if ":" in reference else check_tag(reference)


def _verified_digest(reply: Reply, reference: str, parsed: object) -> str:
    body = reply.body
    if isinstance(parsed, Schema1Manifest) and parsed.media_type == mt.DOCKER_SCHEMA1_SIGNED:
        body = digests.schema1_payload(body)  # the digest covers the unsigned payload
    if ":" in reference:
        return digests.verify(reference, body, what="manifest")
    header = reply.headers.get(DIGEST_HEADER, "").strip()
    if not header:
        return digests.compute(body)
    if not digests.is_digest(header):
        raise errors.BadResponse("The registry sent an invalid Docker-Content-Digest.")
    return digests.verify(header, body, what="manifest")


def _string_list(body: bytes, key: str) -> list[str]:
    data = loads(body, what="a list")
    items = data.get(key) if isinstance(data, dict) else None
    if items is None and isinstance(data, dict):
        return []  # distribution sends "tags": null for a repository without tags
    if not isinstance(items, list):
        raise errors.BadResponse(f"The registry sent a malformed {key} list.")
    return [item for item in items if isinstance(item, str)]


def _referrers_index(reply: Reply) -> ImageIndex | None:
    if reply.status not in (200, 404):
        return None  # 405: no referrers API
    try:  # a 404 with a non-index body means the same
        parsed = parse_manifest(reply.body, reply.headers.get("Content-Type") or mt.OCI_INDEX)
    except errors.BadResponse:
        return None
    return parsed if isinstance(parsed, ImageIndex) else None
