"""The plan as a pure function: every rule and every fixed safety rule, with index-shaped
input built here (no database, no registry)."""

from datetime import UTC, datetime, timedelta

import pytest

from registries.retention.plan import ManifestFacts, TagRow, plan, repository_plan
from registries.retention.rules import RuleError, Rules

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def d(n: int) -> str:
    return f"sha256:{n:064x}"


def days_ago(n: int) -> datetime:
    return NOW - timedelta(days=n)


def tag(name: str, digest: str, *, seen: int = 400) -> TagRow:
    return TagRow(name, digest, days_ago(seen))


def image(age: int, *blobs: tuple[str, int], subject: str = "") -> ManifestFacts:
    return ManifestFacts(created=days_ago(age), blobs=tuple(blobs), subject=subject)


def run(rules: Rules, tags: list[TagRow], manifests: dict) -> dict:
    result = repository_plan(rules=rules, repository="app", tags=tags, manifests=manifests, now=NOW)
    return {
        "delete": {x.digest: x.tags for x in result.delete},
        "keep": {k.tag: k.reason for k in result.keep},
    }


def rules(**kwargs) -> Rules:
    return Rules(repositories=("*",), **kwargs)


def test_it_keeps_the_last_n_images_by_created_time_counting_images_not_tags():
    manifests = {d(1): image(300), d(2): image(200), d(3): image(100)}
    tags = [tag("old", d(1)), tag("mid", d(2)), tag("new", d(3)), tag("latest", d(3))]
    out = run(rules(keep_last=2), tags, manifests)
    assert out["delete"] == {d(1): ["old"]}
    assert out["keep"] == {"latest": "among the last 2 images", "mid": "among the last 2 images",
                           "new": "among the last 2 images"}  # fmt: skip


def test_it_keeps_the_last_n_tags_by_version_order():
    manifests = {d(n): image(n) for n in range(1, 5)}
    # created times say otherwise: 1.10.0 is the oldest image, yet the highest version
    tags = [tag("1.2.0", d(1)), tag("1.9.3", d(2)), tag("1.10.0", d(4)), tag("1.1.0", d(3))]
    out = run(rules(keep_last=2, order="version"), tags, manifests)
    assert set(out["keep"]) == {"1.10.0", "1.9.3"}
    assert out["delete"] == {d(1): ["1.2.0"], d(3): ["1.1.0"]}


def test_version_order_counts_only_tags_that_hold_a_digit():
    manifests = {d(1): image(1), d(2): image(2), d(3): image(3)}
    tags = [tag("latest", d(1)), tag("v2", d(2)), tag("v1", d(3))]
    out = run(rules(keep_last=1, order="version"), tags, manifests)
    assert out["keep"] == {"v2": "among the last 1 by version"}
    assert out["delete"] == {d(1): ["latest"], d(3): ["v1"]}


def test_it_keeps_images_younger_than_d_days_and_tags_the_regex_finds():
    manifests = {d(1): image(100), d(2): image(5), d(3): image(100)}
    tags = [tag("a", d(1)), tag("b", d(2)), tag("keep-me", d(3))]
    out = run(rules(keep_days=30, keep_regex="^keep-"), tags, manifests)
    assert out["keep"] == {"b": "younger than 30 days", "keep-me": "matches keep regex ^keep-"}
    assert out["delete"] == {d(1): ["a"]}


def test_it_ages_an_image_without_created_time_by_when_the_tag_was_first_seen():
    manifests = {d(1): ManifestFacts(), d(2): ManifestFacts()}
    out = run(rules(keep_days=30), [tag("x", d(1), seen=3), tag("y", d(2), seen=90)], manifests)
    assert out["keep"] == {"x": "younger than 30 days"} and out["delete"] == {d(2): ["y"]}


def test_it_never_deletes_a_digest_a_protected_sibling_points_at():
    manifests = {d(1): image(300), d(2): image(1)}
    tags = [tag("1.0", d(1)), tag("stable", d(1)), tag("latest", d(1)), tag("2.0", d(2))]
    out = run(rules(keep_last=1, protect=("latest",)), tags, manifests)
    assert out["delete"] == {}
    assert out["keep"]["latest"] == "protected (latest)"
    assert out["keep"]["1.0"] == "shares its digest with kept tag latest"
    assert out["keep"]["stable"] == "shares its digest with kept tag latest"


def test_it_protects_by_glob_pattern():
    manifests = {d(1): image(300), d(2): image(300)}
    out = run(rules(protect=("release-*",)), [tag("release-1", d(1)), tag("dev", d(2))], manifests)
    assert out["keep"] == {"release-1": "protected (release-*)"}
    assert out["delete"] == {d(2): ["dev"]}


def test_it_keeps_the_images_of_a_kept_index_even_when_their_own_tags_go():
    manifests = {
        d(1): ManifestFacts(created=days_ago(1), children=(d(2), d(3))),
        d(2): image(300),
        d(3): image(300),
    }
    tags = [tag("multi", d(1)), tag("amd64-only", d(2)), tag("arm64-only", d(3))]
    out = run(rules(keep_last=1), tags, manifests)
    assert out["delete"] == {}
    assert out["keep"]["amd64-only"] == "an image of a kept index"


def test_signatures_go_with_their_image_and_stay_with_a_kept_one():
    gone, kept, sig_gone, sig_kept, sbom = d(1), d(2), d(3), d(4), d(5)
    manifests = {gone: image(300), kept: image(1), sig_gone: image(300), sig_kept: image(300),
                 sbom: image(300, subject=gone)}  # fmt: skip
    tags = [
        tag("old", gone),
        tag("new", kept),
        tag(f"sha256-{gone[7:]}.sig", sig_gone),
        tag(f"sha256-{kept[7:]}.sig", sig_kept),
        tag("sbom-of-old", sbom),  # a tagged referrer (its manifest has a subject)
    ]
    out = run(rules(keep_last=1), tags, manifests)
    assert out["delete"] == {gone: ["old"], sig_gone: [f"sha256-{gone[7:]}.sig"],
                             sbom: ["sbom-of-old"]}  # fmt: skip
    assert out["keep"][f"sha256-{kept[7:]}.sig"] == "its image stays"


def test_it_keeps_the_subject_of_a_kept_signature():
    image_digest, sig = d(1), d(2)
    manifests = {image_digest: image(300), sig: image(300), d(3): image(1)}
    sig_tag = f"sha256-{image_digest[7:]}.att"
    tags = [tag("old", image_digest), tag(sig_tag, sig), tag("new", d(3))]
    out = run(rules(keep_last=1, protect=("sha256-*.att",)), tags, manifests)
    assert out["delete"] == {}
    assert out["keep"]["old"] == f"the subject of kept {sig_tag}"


def test_a_signature_whose_image_is_elsewhere_stays():
    manifests = {d(2): image(300), d(3): image(1)}
    orphan = f"sha256-{d(9)[7:]}.sig"
    out = run(rules(keep_last=1), [tag(orphan, d(2)), tag("new", d(3))], manifests)
    assert out["keep"][orphan] == "its image is not here" and out["delete"] == {}


def test_a_tag_whose_manifest_is_not_indexed_is_not_judged():
    out = run(rules(keep_last=1), [tag("x", d(1)), tag("y", d(2))], {d(2): image(1)})
    assert out["keep"] == {"x": "not indexed yet, so not judged", "y": "among the last 1 images"}


def test_reclaimable_bytes_count_each_blob_once_and_only_blobs_nothing_kept_uses():
    shared, own_a, own_b, used_elsewhere = ("L-shared", 100), ("L-a", 10), ("L-b", 20), ("L-x", 5)
    manifests = {
        d(1): image(300, shared, own_a, used_elsewhere),
        d(2): image(300, shared, own_b),
        d(3): image(1, ("L-new", 1)),
        d(4): image(1, used_elsewhere),  # tagged in another repository
    }
    tags = {"app": [tag("a", d(1)), tag("b", d(2)), tag("new", d(3))],
            "other": [tag("b", d(2)), tag("new", d(3))]}  # fmt: skip
    result = plan(rules=rules(keep_last=1), repositories=tags, manifests=manifests,
                  elsewhere={d(4)}, now=NOW)  # fmt: skip
    assert result.reclaimable_bytes == 100 + 10 + 20  # the shared layer once
    by_repo = {r.repository: r.reclaimable_bytes for r in result.repositories}
    assert by_repo == {"app": 130, "other": 0}
    assert result.as_json()["repositories"][0] == {
        "repository": "app",
        "delete": [{"digest": d(1), "tags": ["a"]}, {"digest": d(2), "tags": ["b"]}],
        "keep": [{"tag": "new", "digest": d(3), "reason": "among the last 1 images"}],
        "skipped": [],
    }


def test_a_kept_index_keeps_its_childrens_blobs_from_the_count():
    manifests = {
        d(1): ManifestFacts(created=days_ago(1), children=(d(2),)),
        d(2): image(300, ("L-child", 50)),
        d(3): ManifestFacts(created=days_ago(300), children=(d(4),)),
        d(4): image(300, ("L-child", 50), ("L-gone", 7)),
    }
    result = plan(rules=rules(keep_last=1), repositories={"app": [tag("new", d(1)),
                  tag("old", d(3))]}, manifests=manifests, elsewhere=set(), now=NOW)  # fmt: skip
    assert result.reclaimable_bytes == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one keep rule"),
        ({"keep_last": 0}, "1 or more"),
        ({"keep_last": 1, "order": "size"}, "created or version"),
        ({"keep_regex": "("}, "does not compile"),
    ],
)
def test_it_refuses_rules_that_would_empty_repositories_or_do_not_parse(kwargs, message):
    with pytest.raises(RuleError, match=message):
        rules(**kwargs)
    with pytest.raises(RuleError, match="repository pattern"):
        Rules(repositories=(), keep_last=1)
