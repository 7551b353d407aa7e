"""The supply-chain page and the tag page's badge over a real registry (distribution 2.8):
cosign's tag scheme (`.sig`, `.att`, `.sbom`), a BuildKit index with SPDX and SLSA in-toto
layers, an OCI referrer found by the `sha256-<hex>` tag, and the referrers API (which 2.8
lacks) through `responses`; signatures made here with a generated key."""

import html
import json
import re

import pytest
import responses
from django.contrib.auth.models import Group

from registries.supplychain.models import SigningKey
from tests.supplychain import documents as docs
from tests.supplychain.build import (
    CYCLONEDX_PREDICATE,
    helper_tag,
    push_referrer,
    simple_signing_payload,
)
from tests.supplychain.dataset import APP, OTHER_DIGEST
from tests.support.images import push_image

pytestmark = pytest.mark.django_db


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:3000]
    return response.content.decode()


def section(text: str, heading: str) -> str:
    return text.split(f'id="{heading}-heading"')[1].split("</section>")[0]


def badge(text: str) -> str:
    found = re.search(r'<a class="badge sc-(\w+)" href="([^"]+)"[^>]*>([^<]+)</a>', text)
    assert found, "no badge"
    return found.group(1), found.group(2), found.group(3)


def package_rows(text: str) -> list[tuple[str, ...]]:
    cells = re.findall(
        r'<tr><th scope="row" class="break">(.*?)</th><td class="break">(.*?)</td><td>(.*?)</td>'
        r'<td class="break">(.*?)</td><td><code class="break">(.*?)</code></td></tr>',
        text,
    )
    return [tuple(html.unescape(c) for c in row) for row in cells]


# --- signatures ---------------------------------------------------------------------------


def test_a_signature_made_here_verifies_and_the_tag_page_links_to_it(client, reg, row):
    state, link, label = badge(page(client, f"/registry/chain/{APP}:signed"))
    assert (state, link, label) == (
        "verified",
        f"/registry/chain/{APP}:signed/supply-chain",
        "signature verified",
    )
    signatures = section(page(client, link), "signatures")
    assert "Verified with key release." in signatures
    assert (
        f'cosign tag <code class="break">{helper_tag(reg.images["signed"].digest, "sig")}</code>'
        in signatures
    )


@pytest.mark.parametrize(
    ("tag", "state", "label", "message"),
    [
        (
            "tampered",
            "failed",
            "signature does not verify",
            "does not verify with the 1 key configured",
        ),
        (
            "elsewhere",
            "failed",
            "signature does not verify",
            f"key release signed another digest ({OTHER_DIGEST})",
        ),
        (
            "keyless",
            "signed",
            "signed, not verified",
            "Signed keyless (a certificate or transparency-log bundle): not verified here.",
        ),
        ("unsigned", "unsigned", "unsigned", None),
    ],
)
def test_signatures_that_do_not_verify_say_so(client, row, tag, state, label, message):
    assert badge(page(client, f"/registry/chain/{APP}:{tag}"))[::2] == (state, label)
    text = page(client, f"/registry/chain/{APP}:{tag}/supply-chain")
    if message:
        assert message in section(text, "signatures")
    else:
        assert "No signature was found." in section(text, "signatures")


def test_without_a_configured_key_a_signature_is_signed_not_verified(client, row):
    SigningKey.objects.filter(registry=row).delete()
    assert badge(page(client, f"/registry/chain/{APP}:signed"))[0] == "signed"
    text = page(client, f"/registry/chain/{APP}:signed/supply-chain")
    assert "no public key is configured for this registry" in section(text, "signatures")


def test_a_digest_page_has_the_badge_too(client, reg, row):
    digest = reg.images["signed"].digest
    state, link, _ = badge(page(client, f"/registry/chain/{APP}@{digest}"))
    assert (state, link) == ("verified", f"/registry/chain/{APP}@{digest}/supply-chain")
    assert "Verified with key release." in page(client, link)


# --- SBOMs and provenance -------------------------------------------------------------------


def test_a_buildkit_index_shows_its_spdx_packages_and_slsa_provenance(client, reg, row):
    text = page(client, "/registry/chain/chain/buildkit:v1/supply-chain")
    sboms = section(text, "sboms")
    assert "SPDX 2.3" in sboms and "linux/amd64" in sboms and "index attestation" in sboms
    expected = [(p.name, p.version, p.type, p.license, p.purl) for p in docs.SPDX_PACKAGES]
    assert package_rows(sboms) == expected
    assert html.escape(docs.HOSTILE) in sboms and docs.HOSTILE not in text
    provenance = section(text, "provenance")
    assert "SLSA provenance v0.2" in provenance
    for fact in (
        "https://github.com/example/app/actions/runs/1",
        "https://mobyproject.org/buildkit@v1",
        '<a href="https://github.com/example/app" rel="noopener noreferrer nofollow">',
        docs.COMMIT,
        "args.build-arg:VERSION",
        "pkg:docker/alpine@3.19?platform=linux%2Famd64",
        docs.ALPINE,
    ):
        assert fact in provenance, fact


def test_the_package_search_filters_and_pages(client, row):
    url = f"/registry/chain/{APP}:attested/supply-chain"
    found = package_rows(page(client, f"{url}?q=NPM"))
    assert [name for name, *_ in found] == ["debug", "express"]
    assert "No package matches “nothing-like-it”." in page(client, f"{url}?q=nothing-like-it")
    paged = f"/registry/chain/{APP}:paged/supply-chain"
    first, second = page(client, paged), page(client, f"{paged}?sbom=1&page=2")
    assert [r[0] for r in package_rows(first)] == [f"pkg-{i:03d}" for i in range(100)]
    assert [r[0] for r in package_rows(second)] == [f"pkg-{i:03d}" for i in range(100, 150)]
    assert 'href="?sbom=1&amp;page=2"' in first


def test_cosign_att_and_sbom_tags_are_read_and_the_attestation_verified(client, reg, row):
    text = page(client, f"/registry/chain/{APP}:attested/supply-chain")
    rows = package_rows(section(text, "sboms"))
    assert rows == [(p.name, p.version, p.type, p.license, p.purl) for p in docs.CYCLONEDX_PACKAGES]
    assert helper_tag(reg.images["attested"].digest, "sbom") in section(text, "sboms")
    provenance = section(text, "provenance")
    assert "SLSA provenance v1" in provenance and "Verified with key release." in provenance
    assert "https://github.com/actions/runner/github-hosted" in provenance
    assert "git+https://github.com/example/app@refs/heads/main" in provenance


def test_an_oci_referrer_is_found_through_the_referrers_tag_schema(client, reg, row):
    text = page(client, "/registry/chain/chain/referred:v1/supply-chain")
    sboms = section(text, "sboms")
    assert "OCI referrer" in sboms and reg.referrer[7:19] in sboms
    assert len(package_rows(sboms)) == len(docs.SPDX_PACKAGES)


def test_the_referrers_api_is_used_where_the_registry_has_it(client, reg, row):
    """distribution 2.8 has no referrers API: that answer comes from `responses`, everything
    else from the real registry (the artifact has no fallback tag, so only the API finds it)."""
    image = push_image(reg, "chain/api", "v1")
    artifact = push_referrer(
        reg, "chain/api", image, artifact_type=CYCLONEDX_PREDICATE,
        blob=json.dumps(docs.CYCLONEDX).encode(), media_type="application/vnd.cyclonedx+json",
        fallback_tag=False,
    )  # fmt: skip
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": artifact,
             "size": 1, "artifactType": CYCLONEDX_PREDICATE},
        ],
    }  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.add_passthru(reg.url)
        mocked.get(
            f"{reg.url}/v2/chain/api/referrers/{image.digest}",
            json=index,
            content_type="application/vnd.oci.image.index.v1+json",
        )
        text = page(client, "/registry/chain/chain/api:v1/supply-chain")
    sboms = section(text, "sboms")
    assert "CycloneDX 1.5" in sboms and "OCI referrer" in sboms
    assert [r[0] for r in package_rows(sboms)] == [p.name for p in docs.CYCLONEDX_PACKAGES]


# --- hostile artifacts ------------------------------------------------------------------------


def test_a_huge_sbom_is_named_not_read(client, row):
    sboms = section(page(client, f"/registry/chain/{APP}:huge/supply-chain"), "sboms")
    assert "It is larger than regfront reads (16.0\xa0KB, REGFRONT_MAX_ATTESTATION_BYTES)" in sboms


def test_a_malformed_sbom_says_so(client, row):
    sboms = section(page(client, f"/registry/chain/{APP}:malformed/supply-chain"), "sboms")
    assert "The SBOM is not valid JSON." in sboms


def test_bad_references_are_400_and_unknown_ones_404(client, row):
    assert "Not a valid image reference" in page(
        client, f"/registry/chain/{APP}:-bad/supply-chain", 400
    )
    page(client, f"/registry/chain/{APP}:nope/supply-chain", 404)
    page(client, f"/registry/chain/{APP}@sha256:{'0' * 64}/supply-chain", 404)


def test_an_unreachable_registry_is_a_502_naming_it(client, registry_row, closed_port_url):
    from registries.models import Registry

    Registry.objects.create(name="gone", url=closed_port_url)
    text = page(client, "/registry/gone/app:v1/supply-chain", 502)
    assert "Registry <strong>gone</strong>" in text and "cannot be reached" in text


def test_a_group_limited_registry_is_404_for_others(client, row, persona):
    row.groups.add(Group.objects.create(name="secret"))
    persona("pat")
    page(client, f"/registry/chain/{APP}:signed/supply-chain", 404)


# --- the tag list -------------------------------------------------------------------------------


def test_helper_tags_are_folded_under_their_image(client, reg, row):
    text = page(client, f"/registry/chain/{APP}/")
    assert ">sha256-" not in text  # no helper tag is listed as a tag
    assert f'href="/registry/chain/{APP}:signed/supply-chain">+ signature</a>' in text
    assert f'href="/registry/chain/{APP}:attested/supply-chain">+ attestation, SBOM</a>' in text
    assert "9 tags" in text and "9 cosign and referrers tags shown under their images" in text


# --- what the badge costs -----------------------------------------------------------------------


def _paths(requests) -> list[str]:
    return [f"{r.method} {r.path}" for r in requests]


def test_the_badge_adds_only_the_lookups_it_needs(client, reg, row, registry_requests):
    """Not indexed, the tag page lists the tags for its siblings anyway; the badge looks for
    the `.sig` tag in that list and resolves it with the same (cached) HEAD the siblings use,
    then reads the signature manifest and its payload once: cached by digest after that."""
    unsigned = helper_tag(reg.images["unsigned"].digest, "sig")
    page(client, f"/registry/chain/{APP}:unsigned")
    assert not [p for p in _paths(registry_requests) if unsigned in p]
    page(client, f"/registry/chain/{APP}:signed")
    sig = helper_tag(reg.images["signed"].digest, "sig")
    paths = _paths(registry_requests)
    assert [p for p in paths if sig in p] == [f"HEAD /v2/{APP}/manifests/{sig}"]
    assert sum("/blobs/" in p for p in paths) == 3  # the two images' configs, the payload
    assert sum("/tags/list" in p for p in paths) == 1
    registry_requests.clear()
    page(client, f"/registry/chain/{APP}:signed")
    assert registry_requests == []  # warm: everything is cached


def test_once_indexed_the_badge_needs_no_tag_list(client, reg, row, registry_requests):
    from registries.inventory.services import repository_sync

    repository_sync(registry=row, repository=APP)
    registry_requests.clear()
    assert badge(page(client, f"/registry/chain/{APP}:signed"))[0] == "verified"
    assert not [p for p in _paths(registry_requests) if "/tags/list" in p]


def test_a_slow_registry_is_a_504_naming_it(client, silent_server, settings):
    from registries.models import Registry

    settings.REGFRONT_READ_TIMEOUT = 0.3
    settings.REGFRONT_REQUEST_DEADLINE = 0.6
    Registry.objects.create(name="slow", url=silent_server)
    text = page(client, "/registry/slow/app:v1/supply-chain", 504)
    assert "Registry <strong>slow</strong>" in text and "The registry is too slow" in text


def test_a_registry_failing_on_the_signature_leaves_the_tag_page_up(client, reg, row):
    """A 500 for the payload blob (which a real registry will not send on demand): the tag
    page still renders with a badge saying it could not check; the supply-chain page is a
    502 naming the registry. Nothing is cached, so the next visit checks again."""
    from tests.support.images import sha256_digest

    payload = sha256_digest(simple_signing_payload(reg.images["signed"].digest))
    with responses.RequestsMock() as mocked:
        mocked.add_passthru(reg.url)
        mocked.get(f"{reg.url}/v2/{APP}/blobs/{payload}", status=500, body="boom")
        state, _, label = badge(page(client, f"/registry/chain/{APP}:signed"))
        assert (state, label) == ("unknown", "signatures not checked")
        text = page(client, f"/registry/chain/{APP}:signed/supply-chain", 502)
        assert "Registry <strong>chain</strong>" in text
    assert badge(page(client, f"/registry/chain/{APP}:signed"))[0] == "verified"
