"""SBOMs as a package table: SPDX 2.x JSON and CycloneDX JSON, raw or as the predicate of an
in-toto statement.

SPDX 2.3: https://spdx.github.io/spdx-spec/v2.3/package-information/
CycloneDX: https://cyclonedx.org/docs/1.6/json/#components
A package's type is its purl's (`pkg:deb/...` → deb) when it has one, else what the format
says (SPDX's primaryPackagePurpose, CycloneDX's component type).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registries.supplychain.documents import Unreadable, items, load_json, obj, text

PACKAGES_MAX = 50_000  # kept per SBOM; the count says how many the document has
SPDX_MEDIA_TYPES = frozenset({"application/spdx+json", "text/spdx+json"})
CYCLONEDX_MEDIA_TYPES = frozenset({"application/vnd.cyclonedx+json"})
# Formats regfront recognises but does not read (cosign attach sbom accepts them).
UNREAD_MEDIA_TYPES = {
    "text/spdx": "SPDX tag-value",
    "application/vnd.cyclonedx+xml": "CycloneDX XML",
    "application/vnd.syft+json": "Syft JSON",
}
SBOM_MEDIA_TYPES = SPDX_MEDIA_TYPES | CYCLONEDX_MEDIA_TYPES | frozenset(UNREAD_MEDIA_TYPES)
SPDX_NO_LICENSE = frozenset({"", "NOASSERTION", "NONE"})


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    type: str
    license: str
    purl: str

    def matches(self, needle: str) -> bool:
        """`needle` lowercased: found in any column, in any case."""
        return any(needle in value.lower() for value in self.__dict__.values())


@dataclass(frozen=True)
class Sbom:
    format: str  # "SPDX 2.3", "CycloneDX 1.5"
    name: str
    packages: tuple[Package, ...]  # sorted by name, then version
    total: int  # packages in the document; more than len(packages) when cut

    @property
    def cut(self) -> bool:
        return self.total > len(self.packages)


def _purl_type(purl: str) -> str:
    if not purl.startswith("pkg:"):
        return ""
    return purl[4:].partition("/")[0].lower()


def _spdx_package(data: dict[str, Any]) -> Package:
    purl = next(
        (
            text(obj(ref).get("referenceLocator"))
            for ref in items(data.get("externalRefs"))
            if text(obj(ref).get("referenceType")) == "purl"
        ),
        "",
    )
    concluded = text(data.get("licenseConcluded"))
    declared = text(data.get("licenseDeclared"))
    license_ = concluded if concluded not in SPDX_NO_LICENSE else declared
    return Package(
        name=text(data.get("name")),
        version=text(data.get("versionInfo")),
        type=_purl_type(purl) or text(data.get("primaryPackagePurpose")).lower(),
        license="" if license_ in SPDX_NO_LICENSE else license_,
        purl=purl,
    )


def _spdx(data: dict[str, Any]) -> Sbom:
    packages = items(data.get("packages"))
    return _sbom(
        f"SPDX {text(data.get('spdxVersion'))[5:] or '2'}",
        text(data.get("name")),
        [_spdx_package(obj(p)) for p in packages[:PACKAGES_MAX]],
        len(packages),
    )


def _cyclonedx_license(data: dict[str, Any]) -> str:
    names = []
    for entry in items(data.get("licenses")):
        entry = obj(entry)
        license_ = obj(entry.get("license"))
        names.append(
            text(entry.get("expression")) or text(license_.get("id")) or text(license_.get("name"))
        )
    return ", ".join(n for n in names if n)


def _cyclonedx_components(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every component, nested ones too (walked with a stack: a deep BOM is no recursion)."""
    found: list[dict[str, Any]] = []
    total = 0
    stack = list(reversed(items(data.get("components"))))
    while stack:
        component = obj(stack.pop())
        total += 1
        if len(found) < PACKAGES_MAX:
            found.append(component)
        stack.extend(reversed(items(component.get("components"))))
    return found, total


def _cyclonedx(data: dict[str, Any]) -> Sbom:
    components, total = _cyclonedx_components(data)
    packages = []
    for component in components:
        purl = text(component.get("purl"))
        packages.append(
            Package(
                name=text(component.get("name")),
                version=text(component.get("version")),
                type=_purl_type(purl) or text(component.get("type")),
                license=_cyclonedx_license(component),
                purl=purl,
            )
        )
    name = text(obj(obj(data.get("metadata")).get("component")).get("name"))
    return _sbom(f"CycloneDX {text(data.get('specVersion'))}".strip(), name, packages, total)


def _sbom(format_: str, name: str, packages: list[Package], total: int) -> Sbom:
    packages.sort(key=lambda p: (p.name.lower(), p.version, p.purl))
    return Sbom(format=format_, name=name, packages=tuple(packages), total=total)


def read_sbom(document: Any) -> Sbom:
    """An SPDX 2.x or CycloneDX document (already decoded) as a package table."""
    document = obj(document)
    if text(document.get("spdxVersion")).startswith("SPDX-2"):
        return _spdx(document)
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document)
    if "@context" in document and "spdx" in str(document.get("@context")).lower():
        raise Unreadable("This is an SPDX 3 document; regfront reads SPDX 2.x and CycloneDX.")
    raise Unreadable("This is neither an SPDX 2.x nor a CycloneDX JSON document.")


def sbom_from_layer(raw: bytes, media_type: str) -> Sbom:
    """A layer holding an SBOM as such (cosign's `.sbom`, an OCI referrer's blob)."""
    if media_type in UNREAD_MEDIA_TYPES:
        raise Unreadable(f"This SBOM is {UNREAD_MEDIA_TYPES[media_type]}; regfront reads SPDX "
                         "JSON and CycloneDX JSON.")  # fmt: skip
    return read_sbom(load_json(raw, what="SBOM"))
