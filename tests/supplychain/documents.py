"""SBOMs and provenance as the tools write them (syft's SPDX, CycloneDX, BuildKit's SLSA v0.2,
GitHub's SLSA v1), with what regfront must make of them."""

from registries.supplychain.provenance import Material
from registries.supplychain.sbom import Package

HOSTILE = "<script>alert(1)</script>"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ALPINE = "sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b"


def _purl(locator: str) -> list[dict]:
    return [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": locator,
        }
    ]


SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "sbom-app",
    "packages": [
        {
            "name": "zlib",
            "SPDXID": "SPDXRef-zlib",
            "versionInfo": "1.3-r0",
            "licenseConcluded": "Zlib",
            "externalRefs": _purl("pkg:apk/alpine/zlib@1.3-r0?arch=x86_64"),
        },
        {
            "name": "busybox",
            "versionInfo": "1.36.1-r2",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "GPL-2.0-only",
            "externalRefs": _purl("pkg:apk/alpine/busybox@1.36.1-r2"),
        },
        {
            "name": "requests",
            "versionInfo": "2.31.0",
            "licenseConcluded": "Apache-2.0",
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceType": "cpe23Type",
                    "referenceLocator": "cpe:2.3:a:python:requests:2.31.0",
                },
                *_purl("pkg:pypi/requests@2.31.0"),
            ],
        },
        {"name": HOSTILE, "versionInfo": "1", "primaryPackagePurpose": "APPLICATION"},
    ],
}
SPDX_PACKAGES = [
    Package(HOSTILE, "1", "application", "", ""),
    Package("busybox", "1.36.1-r2", "apk", "GPL-2.0-only", "pkg:apk/alpine/busybox@1.36.1-r2"),
    Package("requests", "2.31.0", "pypi", "Apache-2.0", "pkg:pypi/requests@2.31.0"),
    Package("zlib", "1.3-r0", "apk", "Zlib", "pkg:apk/alpine/zlib@1.3-r0?arch=x86_64"),
]

CYCLONEDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "metadata": {"component": {"type": "container", "name": "app-image"}},
    "components": [
        {
            "type": "library",
            "name": "express",
            "version": "4.18.2",
            "purl": "pkg:npm/express@4.18.2",
            "licenses": [{"license": {"id": "MIT"}}],
            "components": [
                {
                    "type": "library",
                    "name": "debug",
                    "version": "2.6.9",
                    "purl": "pkg:npm/debug@2.6.9",
                    "licenses": [{"expression": "MIT OR Apache-2.0"}],
                }
            ],
        },
        {"type": "operating-system", "name": "debian", "version": "12"},
        {
            "type": "library",
            "name": "openssl",
            "version": "3.0.11",
            "purl": "pkg:deb/debian/openssl@3.0.11",
            "licenses": [
                {"license": {"name": "OpenSSL license"}},
                {"license": {"id": "Apache-2.0"}},
            ],
        },
    ],
}
CYCLONEDX_PACKAGES = [
    Package("debian", "12", "operating-system", "", ""),
    Package("debug", "2.6.9", "npm", "MIT OR Apache-2.0", "pkg:npm/debug@2.6.9"),
    Package("express", "4.18.2", "npm", "MIT", "pkg:npm/express@4.18.2"),
    Package(
        "openssl", "3.0.11", "deb", "OpenSSL license, Apache-2.0", "pkg:deb/debian/openssl@3.0.11"
    ),
]

# BuildKit's mode=max provenance (v0.2), trimmed to what regfront reads and a little more.
SLSA_V02 = {
    "builder": {"id": "https://github.com/example/app/actions/runs/1"},
    "buildType": "https://mobyproject.org/buildkit@v1",
    "materials": [
        {"uri": "pkg:docker/alpine@3.19?platform=linux%2Famd64", "digest": {"sha256": ALPINE[7:]}},
        {"uri": "https://github.com/example/app.git#main", "digest": {"sha1": COMMIT}},
    ],
    "invocation": {
        "configSource": {"entryPoint": "Dockerfile"},
        "parameters": {
            "frontend": "dockerfile.v0",
            "args": {"build-arg:VERSION": "1.2.3", "label:team": HOSTILE},
            "locals": [{"name": "context"}],
        },
        "environment": {"platform": "linux/amd64"},
    },
    "metadata": {
        "buildInvocationID": "inv-123",
        "buildStartedOn": "2024-01-02T03:04:05Z",
        "buildFinishedOn": "2024-01-02T03:05:06Z",
        "https://mobyproject.org/buildkit@v1#metadata": {
            "vcs": {"source": "https://github.com/example/app", "revision": COMMIT}
        },
    },
}
SLSA_V02_PARAMETERS = (
    ("frontend", "dockerfile.v0"),
    ("args.build-arg:VERSION", "1.2.3"),
    ("args.label:team", HOSTILE),
    ("locals", '[{"name": "context"}]'),
)
SLSA_V02_MATERIALS = (
    Material("pkg:docker/alpine@3.19?platform=linux%2Famd64", ALPINE),
    Material("https://github.com/example/app.git#main", f"sha1:{COMMIT}"),
)

# GitHub's artifact attestations (v1).
SLSA_V1 = {
    "buildDefinition": {
        "buildType": "https://actions.github.io/buildtypes/workflow/v1",
        "externalParameters": {
            "workflow": {
                "ref": "refs/heads/main",
                "repository": "https://github.com/example/app",
                "path": ".github/workflows/release.yml",
            },
            "inputs": {"version": "1.2.3"},
        },
        "resolvedDependencies": [
            {
                "uri": "git+https://github.com/example/app@refs/heads/main",
                "digest": {"gitCommit": COMMIT},
            }
        ],
    },
    "runDetails": {
        "builder": {"id": "https://github.com/actions/runner/github-hosted"},
        "metadata": {
            "invocationId": "https://github.com/example/app/actions/runs/42/attempts/1",
            "startedOn": "2024-05-06T07:08:09Z",
        },
    },
}
SLSA_V1_PARAMETERS = (
    ("workflow.ref", "refs/heads/main"),
    ("workflow.repository", "https://github.com/example/app"),
    ("workflow.path", ".github/workflows/release.yml"),
    ("inputs.version", "1.2.3"),
)
