import pytest

from registries.client.reference import (
    InvalidReference,
    Reference,
    is_valid_repository,
    parse_digest,
    parse_image_reference,
    parse_repository_path,
)

SHA = "sha256:" + "a" * 64
SHA512 = "sha512:" + "0" * 128


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app:1.2.0", Reference("app", tag="1.2.0")),
        ("a/b/c/d:v1", Reference("a/b/c/d", tag="v1")),
        (f"team/service@{SHA}", Reference("team/service", digest=SHA)),
        (f"team/service:2.0@{SHA}", Reference("team/service", tag="2.0", digest=SHA)),
        (f"x@{SHA512}", Reference("x", digest=SHA512)),
        ("many/repo-000/", Reference("many/repo-000")),
        ("many/repo-000", Reference("many/repo-000")),
        ("a__b/c-----d/e.f_g:Latest_1.0-rc", Reference("a__b/c-----d/e.f_g", tag="Latest_1.0-rc")),
        ("app:" + "t" * 128, Reference("app", tag="t" * 128)),
        ("r" * 255 + "/", Reference("r" * 255)),
    ],
)
def test_it_parses_repository_paths(path, expected):
    assert parse_repository_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "App:1",  # uppercase
        "a//b:1",
        "-a:1",
        "a-:1",
        "a..b:1",
        "a___b:1",
        "a/b/:1",
        "app:",
        "app:.hidden",
        "app:-x",
        "app:" + "t" * 129,
        "app:a/b",
        "app@sha256:abc",
        "app@sha256:" + "A" * 64,  # uppercase hex
        "app@md5:" + "a" * 32,  # unsupported algorithm
        "app@" + "a" * 64,
        f"app:1@{SHA}/",
        "app:1/",
        "r" * 256,
        "<script>/x:1",
        "app:tag\n",
        "app:täg",
    ],
)
def test_it_rejects_invalid_repository_paths(path):
    with pytest.raises(InvalidReference):
        parse_repository_path(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpine", Reference("alpine")),
        ("library/alpine:3.20", Reference("library/alpine", tag="3.20")),
        ("host:5000/ns/repo:tag", Reference("ns/repo", tag="tag", domain="host:5000")),
        ("localhost/app", Reference("app", domain="localhost")),
        (
            "registry.example.com/app@" + SHA,
            Reference("app", digest=SHA, domain="registry.example.com"),
        ),
        ("[::1]:5000/app:1", Reference("app", tag="1", domain="[::1]:5000")),
        ("Registry.Example/app", Reference("app", domain="Registry.Example")),
        ("  ns/repo:1  ", Reference("ns/repo", tag="1")),
    ],
)
def test_it_parses_pasted_image_references(text, expected):
    assert parse_image_reference(text) == expected


@pytest.mark.parametrize("text", ["", "host:5000/", "-bad.host/app", "host:port/app", "UPPER"])
def test_it_rejects_invalid_image_references(text):
    with pytest.raises(InvalidReference):
        parse_image_reference(text)


def test_it_formats_references():
    assert (
        str(Reference("ns/repo", tag="1", digest=SHA, domain="h:5000")) == f"h:5000/ns/repo:1@{SHA}"
    )
    assert Reference("app", tag="1", digest=SHA).identifier == SHA
    assert Reference("app", tag="1").identifier == "1"


def test_it_validates_repository_names_and_digests():
    assert is_valid_repository("many/repo-119")
    assert not is_valid_repository("Many")
    assert parse_digest(SHA) == SHA
    with pytest.raises(InvalidReference, match="lowercase hex"):
        parse_digest("sha256:" + "a" * 63)
