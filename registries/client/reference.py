"""Image references: the distribution reference grammar.

Grammar: https://github.com/distribution/reference/blob/main/reference.go
Digests: https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_TOTAL_LENGTH_MAX = 255
TAG_LENGTH_MAX = 128

# path-component := alpha-numeric [separator alpha-numeric]*; separator := [_.]|__|[-]+
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
# domain := host [":" port]; host is a domain name, IPv4 address or [IPv6 address].
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
)
_DIGEST_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*):(.+)")

# Algorithms go-digest accepts, with their hex length (lowercase only).
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


class InvalidReference(ValueError):
    """Text that is not a valid repository name, tag, digest or image reference."""


@dataclass(frozen=True)
class Reference:
    repository: str
    tag: str | None = None
    digest: str | None = None
    domain: str | None = None

    @property
    def identifier(self) -> str | None:
        """What to ask the manifest endpoint for: the digest if known, else the tag."""
        return self.digest or self.tag

    def __str__(self) -> str:
        text = f"{self.domain}/{self.repository}" if self.domain else self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def is_valid_repository(name: str) -> bool:
    return len(name) <= NAME_TOTAL_LENGTH_MAX and _REPOSITORY_RE.fullmatch(name) is not None


def is_valid_tag(tag: str) -> bool:
    return _TAG_RE.fullmatch(tag) is not None


def is_digest(text: str) -> bool:
    try:
        parse_digest(text)
    except InvalidReference:
        return False
    return True


def parse_digest(text: str) -> str:
    """Validate ``algo:hex`` (sha256/sha384/sha512, lowercase hex) and return it."""
    match = _DIGEST_RE.fullmatch(text)
    if not match:
        raise InvalidReference(f"Invalid digest {text[:80]!r}: expected algorithm:hex.")
    algorithm, hex_part = match.groups()
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        raise InvalidReference(f"Unsupported digest algorithm {algorithm[:20]!r}.")
    if len(hex_part) != length or not re.fullmatch(r"[a-f0-9]+", hex_part):
        raise InvalidReference(f"Invalid {algorithm} digest: expected {length} lowercase hex.")
    return text


def check_repository(name: str) -> str:
    if not name:
        raise InvalidReference("The repository name is empty.")
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"The repository name is longer than {NAME_TOTAL_LENGTH_MAX}.")
    if not _REPOSITORY_RE.fullmatch(name):
        raise InvalidReference(
            f"Invalid repository name {name[:80]!r}: use lowercase letters, digits and "
            "separators (., _, __, -) between them, with / between parts."
        )
    return name


def check_tag(tag: str) -> str:
    if not _TAG_RE.fullmatch(tag):
        raise InvalidReference(
            f"Invalid tag {tag[:80]!r}: up to {TAG_LENGTH_MAX} letters, digits, _, . or -, "
            "not starting with . or -."
        )
    return tag


def _split_tag_and_digest(text: str) -> tuple[str, str | None, str | None]:
    name, at, digest = text.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        check_tag(tag)
    return name, tag, (parse_digest(digest) if at else None)


def parse_repository_path(path: str) -> Reference:
    """Parse what follows ``/registry/<name>/`` in our URLs.

    ``repo/path:tag``, ``repo/path@sha256:<hex>``, ``repo/path:tag@sha256:<hex>``, and
    ``repo/path/`` or ``repo/path`` (repository only).
    """
    text = path.removesuffix("/") if path.endswith("/") else path
    name, tag, digest = _split_tag_and_digest(text)
    if path.endswith("/") and (tag or digest):
        raise InvalidReference("A tag or digest cannot end with '/'.")
    return Reference(check_repository(name), tag=tag, digest=digest)


def _looks_like_domain(component: str) -> bool:
    # Same rule as distribution's splitDockerDomain: a first component with ".", ":" or an
    # uppercase letter, or "localhost", is a registry host.
    return (
        "." in component
        or ":" in component
        or component == "localhost"
        or component.lower() != component
    )


def parse_image_reference(text: str) -> Reference:
    """Parse a pasted reference: ``host:5000/ns/repo:tag``, ``repo@sha256:...``, ``alpine``.

    The domain is optional and returned as is; nothing is normalized to Docker Hub.
    """
    text = text.strip()
    if not text:
        raise InvalidReference("The image reference is empty.")
    domain = None
    first, slash, rest = text.partition("/")
    if slash and _looks_like_domain(first):
        if not _DOMAIN_RE.fullmatch(first):
            raise InvalidReference(f"Invalid registry host {first[:80]!r}.")
        domain, text = first, rest
    name, tag, digest = _split_tag_and_digest(text)
    full_length = len(name) + (len(domain) + 1 if domain else 0)
    if full_length > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"The repository name is longer than {NAME_TOTAL_LENGTH_MAX}.")
    return Reference(check_repository(name), tag=tag, digest=digest, domain=domain)


# --- Docker Hub's naming -------------------------------------------------------------------

# Hosts that mean Docker Hub in image references and registry URLs. Docker resolves a
# single-name image (`alpine`) on them to the official-images namespace (`library/alpine`):
# https://github.com/distribution/reference/blob/main/normalize.go
DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_OFFICIAL_NAMESPACE = "library"


def is_docker_hub(host: str) -> bool:
    """`registry-1.docker.io`, `docker.io` or `index.docker.io`, with or without :443."""
    host = host.lower().removesuffix(":443")
    return host in DOCKER_HUB_HOSTS


def hub_repository(repository: str) -> str:
    """`alpine` → `library/alpine`; names with a namespace stay as they are."""
    if "/" in repository:
        return repository
    return f"{DOCKER_HUB_OFFICIAL_NAMESPACE}/{repository}"


def repository_on(host: str, repository: str) -> str:
    """The repository name a registry at `host` knows `repository` by."""
    return hub_repository(repository) if is_docker_hub(host) else repository
