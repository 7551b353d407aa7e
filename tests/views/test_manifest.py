"""Tag and digest pages: every manifest kind, config, layers, pull commands, hostile data."""

import html
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, registry_open, registry_row):
    registry_row(registry_open, name="open")

    def get(path: str) -> str:
        response = client.get(f"/registry/open/{path}")
        assert response.status_code == 200, response.content[:500]
        return response.content.decode()

    return get


def test_it_shows_an_image_tag(page, registry_open):
    image = registry_open.dataset.image("app", "1.2.0")
    text = page("app:1.2.0")
    assert image.digest in text
    assert "application/vnd.docker.distribution.manifest.v2+json" in text
    assert f'title="{image.size:,} bytes"' in text
    for layer in image.layer_digests:
        assert layer.split(":")[1][:12] in text
    assert f"docker pull {registry_open.host}/app:1.2.0" in text
    assert f"docker pull {registry_open.host}/app@{image.digest}" in text
    assert '<h2 id="history-heading">History</h2>' in text
    assert '<h2 id="config-heading">Configuration</h2>' in text
    # A label that is an https URL is a link.
    assert '<a href="https://example.com/app" rel="noopener noreferrer nofollow">' in text


def test_it_lists_the_other_tags_sharing_the_digest(page):
    text = page("app:latest")
    siblings = text[
        text.index("siblings-heading") : text.index("</section>", text.index("siblings-heading"))
    ]
    assert ">1.10.0</a>" in siblings
    assert ">latest</a>" not in siblings
    assert "No other tag" in page("app:1.2.0")


def test_it_shows_a_three_platform_index_with_links_by_digest(page, registry_open):
    index = registry_open.dataset.index("multi/arch", "v1")
    text = page("multi/arch:v1")
    assert "multi-arch index" in text
    for child in index.children:
        assert f'href="/registry/open/multi/arch@{child.digest}"' in text
    assert "linux/arm64/v8" in text and "linux/arm/v7" in text
    # Following a platform lands on that image's own page.
    arm = next(c for c in index.children if c.platform[1] == "arm")
    child_page = page(f"multi/arch@{arm.digest}")
    assert "linux/arm/v7" in child_page
    assert f"docker pull {registry_open.host}/multi/arch@{arm.digest}" in child_page
    assert "v1</a>" not in child_page.split("siblings-heading")[1].split("</section>")[0]


def test_it_shows_a_docker_manifest_list(page):
    text = page("legacy/list:v1")
    assert "application/vnd.docker.distribution.manifest.list.v2+json" in text
    assert "linux/arm64/v8" in text


def test_it_escapes_hostile_labels_and_annotations(page):
    text = page("oci/hostile:v1")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="javascript:' not in text
    assert "<img" not in text


def test_it_shows_pretty_raw_json(page, registry_open):
    text = page("app:1.2.0")
    manifest_json = text.split('Manifest JSON</summary><pre class="json">')[1].split("</pre>")[0]
    assert '"schemaVersion": 2' in html.unescape(manifest_json)
    assert "Config JSON" in text


def test_it_shows_an_artifact_and_its_subject(page, registry_open):
    sbom = registry_open.dataset.sbom
    text = page(f"app@{sbom.digest}")
    assert "artifact" in text
    subject = registry_open.dataset.digest("app", "1.2.0")
    assert f'href="/registry/open/app@{subject}"' in text


def test_a_deep_repository_tag_page(page):
    text = page("a/b/c/d:v1")
    assert re.search(r'href="/registry/open/\?ns=a/b/c">c</a>', text)
    assert "application/vnd.oci.image.manifest.v1+json" in text


def test_it_lists_referrers_from_the_referrers_tag_schema(
    client, registry_open, registry_row, fresh_repo
):
    """distribution 2.8 has no referrers API; the `sha256-<hex>` fallback tag stands in."""
    from tests.support.images import (
        OCI_INDEX,
        canonical_json,
        client_for,
        push_artifact_with_subject,
    )

    repo = fresh_repo(registry_open, tag="v1")
    sbom = push_artifact_with_subject(registry_open, repo.name, repo.image)
    index = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": sbom.media_type,
                    "digest": sbom.digest,
                    "size": len(sbom.manifest_bytes),
                    "artifactType": "application/vnd.example.sbom",
                }
            ],
        }
    )
    fallback_tag = repo.image.digest.replace(":", "-")
    client_for(registry_open).put_manifest(repo.name, fallback_tag, index, OCI_INDEX)
    registry_row(registry_open, name="open")
    text = client.get(f"/registry/open/{repo.name}:v1").content.decode()
    referrers = text.split('id="referrers-heading"')[1].split("</section>")[0]
    assert "application/vnd.example.sbom" in referrers
    assert f'href="/registry/open/{repo.name}@{sbom.digest}"' in referrers
