"""Issue 17 (hardening), as properties: whatever a registry or a webhook caller sends, the
parsers answer a model or the client's own RegistryError, and the pages and the API answer
without a 500.

Generated input includes hostile values: huge integers, times whose offset leaves UTC, nesting
deeper than the recursion limit, wrong types, markup, NUL and lone surrogates, invalid UTF-8.
Bounded and derandomized (hypothesis is installed through schemathesis), so it runs in seconds
and the same way every time. Only the registry's HTTP answers are faked (`responses`): no
registry stores most of this.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
import responses
from django.core.cache import cache
from django.template import Context, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registries.client import media_types as mt
from registries.client._json import aware_utc, loads
from registries.client.api import RegistryClient
from registries.client.auth import TokenResponseError, parse_token_response
from registries.client.digests import compute
from registries.client.errormap import error_codes
from registries.client.errors import RegistryError
from registries.client.models import (
    SIZE_MAX,
    ImageIndex,
    ImageManifest,
    parse_config,
    parse_manifest,
)
from registries.client.reference import is_digest, is_valid_repository, is_valid_tag
from registries.models import Registry, RegistryEvent
from registries.services.listings import valid_names
from registries.templatetags.regfront import size, when
from tests.api_support import EVENTS_TYPE, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAGES = settings(BOUNDED, max_examples=60)  # whole pages cost ~50 ms each

# --- hostile values ------------------------------------------------------------------------

MARKUP = ["<script>alert(1)</script>", "<b>x</b>", "&amp;", "\"'><img src=x>", "javascript:x"]
ODD_TEXT = ["", "..", "a" * 129, "\x00", "\ud800", "UPPER", "-lead", "sha256:short"]
HUGE = [2**63 - 1, 2**63, 2**64, 10**30, -1, -(2**63) - 1]
FAR_OFF = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z"]
ODD_TIMES = ["9999-12-31T23:59:59.999999999Z", "2024-13-01T00:00:00Z", "yesterday", "2024"]
DIGESTS = [compute(b"a"), compute(b"b", "sha512"), "sha256:short", "md5:" + "0" * 32]
MEDIA_TYPES = [
    *sorted(mt.INDEX_TYPES | mt.IMAGE_MANIFEST_TYPES | mt.SCHEMA1_TYPES),
    mt.OCI_CONFIG,
    "application/vnd.example.sbom",
    "application/json",
]
CONFIG_TYPES = [mt.OCI_CONFIG, mt.DOCKER_CONFIG, mt.OCI_EMPTY]  # images, and artifacts
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"

texts = st.text(max_size=12) | st.sampled_from(MARKUP + ODD_TEXT)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from(HUGE),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59)
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))
timestamps = st.one_of(
    st.builds(
        lambda moment, offset: moment.isoformat() + offset,
        moments,
        offsets.map(_offset) | st.sampled_from(["Z", ""]),
    ),
    st.sampled_from(FAR_OFF + ODD_TIMES),
    scalars,
)
digests = st.sampled_from(DIGESTS) | texts
sizes = st.sampled_from(HUGE) | st.integers(min_value=0, max_value=10**6) | scalars
platforms = st.fixed_dictionaries(
    {}, optional={"os": texts, "architecture": texts, "variant": texts, "os.version": scalars}
)
descriptors = st.fixed_dictionaries(
    {"mediaType": st.sampled_from(MEDIA_TYPES) | texts, "digest": digests, "size": sizes},
    optional={
        "platform": platforms | json_values,
        "annotations": st.dictionaries(texts, texts | scalars, max_size=3) | json_values,
        "artifactType": texts | scalars,
        "urls": json_values,
    },
)
configs = st.fixed_dictionaries(
    {},
    optional={
        "created": timestamps,
        "author": texts | scalars,
        "os": texts,
        "architecture": texts | scalars,
        "variant": texts,
        "config": st.fixed_dictionaries(
            {},
            optional={
                "Env": json_values,
                "Cmd": json_values,
                "Entrypoint": json_values,
                "WorkingDir": texts | scalars,
                "User": texts | scalars,
                "ExposedPorts": st.dictionaries(texts, json_values, max_size=2) | json_values,
                "Volumes": st.dictionaries(texts, json_values, max_size=2) | json_values,
                "Labels": st.dictionaries(texts, texts | scalars, max_size=3) | json_values,
            },
        )
        | json_values,
        "history": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "created": timestamps,
                    "created_by": texts | scalars,
                    "comment": texts | scalars,
                    "empty_layer": scalars,
                },
            )
            | json_values,
            max_size=3,
        )
        | json_values,
        "rootfs": st.fixed_dictionaries({"diff_ids": json_values}) | json_values,
    },
)
manifests = st.fixed_dictionaries(
    {"schemaVersion": st.sampled_from([2, 1]) | scalars},
    optional={
        "mediaType": st.sampled_from(MEDIA_TYPES) | texts,
        "config": descriptors | json_values,
        "layers": st.lists(descriptors, max_size=3) | json_values,
        "manifests": st.lists(descriptors, max_size=3) | json_values,
        "subject": descriptors | json_values,
        "annotations": st.dictionaries(texts, texts | scalars, max_size=3) | json_values,
        "artifactType": texts | scalars,
        "name": texts | scalars,
        "tag": texts | scalars,
        "architecture": texts | scalars,
        "fsLayers": st.lists(st.fixed_dictionaries({"blobSum": digests}) | json_values, max_size=2),
        "history": st.lists(
            st.fixed_dictionaries({"v1Compatibility": configs.map(json.dumps) | scalars})
            | json_values,
            max_size=2,
        ),
    },
)


def deep(depth: int, *, wrap: bytes = b"%s") -> bytes:
    return wrap.replace(b"%s", b"[" * depth + b"]" * depth)


deep_bodies = st.builds(
    deep,
    st.sampled_from([10, 900, 5_000, 30_000, 200_000]),
    wrap=st.sampled_from([b"%s", b'{"manifests": %s}', b'{"tags": %s}', b'{"a": %s}']),
)


@st.composite
def encoded(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> bytes:
    """JSON as a registry might send it: plain, raw UTF-8 (lone surrogates become invalid
    UTF-8), or with a NaN where JSON has none."""
    value = draw(values)
    style = draw(st.sampled_from(["ascii", "raw", "nan"]))
    if style == "ascii":
        return json.dumps(value).encode()
    if style == "raw":
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps({"value": value, "nan": float("nan")}).encode()


def bodies(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(encoded(values), deep_bodies, st.binary(max_size=40))


def descriptors_of(parsed: object) -> list:
    if isinstance(parsed, ImageManifest):
        return [parsed.config, *parsed.layers, *([parsed.subject] if parsed.subject else [])]
    if isinstance(parsed, ImageIndex):
        return [*parsed.manifests, *([parsed.subject] if parsed.subject else [])]
    return []


def assert_sane_time(value: datetime | None) -> None:
    assert value is None or value.utcoffset() == timedelta(0)


# --- the parsers ---------------------------------------------------------------------------


@BOUNDED
@given(body=bodies(manifests | json_values), content_type=st.sampled_from(MEDIA_TYPES) | texts)
def test_it_parses_any_manifest_into_a_model_or_a_registry_error(body, content_type):
    try:
        parsed = parse_manifest(body, content_type)
    except RegistryError:
        return
    for descriptor in descriptors_of(parsed):
        assert 0 <= descriptor.size <= SIZE_MAX
        assert is_digest(descriptor.digest)
    for entry in getattr(parsed, "history", ()):
        assert all(isinstance(v, str) for v in entry.values())  # nothing nested survives


@BOUNDED
@given(body=bodies(configs | json_values))
def test_it_parses_any_config_with_times_that_are_utc_or_none(body):
    try:
        config = parse_config(body)
    except RegistryError:
        return
    for created in (config.created, *(step.created for step in config.history)):
        assert_sane_time(created)
        assert when(created)  # and the page can show it


@BOUNDED
@given(body=bodies(json_values) | st.sampled_from([b"NaN", b"[Infinity]", b"1" * 5000]))
def test_it_decodes_any_bytes_to_a_value_or_a_bad_response(body):
    try:
        loads(body, what="a test body")
    except RegistryError as exc:
        assert exc.user_message == "The registry sent a test body that is not valid JSON."
    assert all(isinstance(code, str) for code in error_codes(body))


@BOUNDED
@given(data=json_values | st.fixed_dictionaries({"token": texts, "expires_in": sizes}))
def test_it_reads_any_token_response_or_refuses_it(data):
    try:
        token = parse_token_response(data, now=0.0)
    except TokenResponseError:
        return
    assert token.value and 0 <= token.expires_at <= 24 * 3600


LISTS = "https://lists.example"
names = st.sampled_from(["app", "team/app", "v1", "1.2.0", "latest"]) | texts | scalars
list_bodies = bodies(
    st.fixed_dictionaries(
        {}, optional={"tags": st.lists(names, max_size=6) | json_values, "name": names}
    )
    | st.fixed_dictionaries({"repositories": st.lists(names, max_size=6) | json_values})
    | json_values
)


@BOUNDED
@given(body=list_bodies)
def test_it_lists_any_tag_list_or_catalog_as_valid_names_or_a_registry_error(body):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(re.compile(rf"{LISTS}/v2/.*"), body=body, content_type="application/json")
        with RegistryClient(LISTS) as client:
            for listing, is_valid in ((lambda: client.tags("app"), is_valid_tag),
                                      (client.catalog, is_valid_repository)):  # fmt: skip
                try:
                    listed = listing()
                except RegistryError:
                    continue
                kept, hidden = valid_names(listed, is_valid)
                assert all(is_valid(name) for name in kept)
                assert len(kept) + hidden <= len(listed)


# --- the template tags ---------------------------------------------------------------------

zones = st.none() | offsets.map(lambda minutes: dt_timezone(timedelta(minutes=minutes)))
RENDER = Template("{% load regfront %}{% when moment %} {% size amount %}")


@BOUNDED
@given(
    moment=st.datetimes(timezones=zones) | st.none() | texts,
    amount=st.integers() | st.sampled_from(HUGE) | st.none() | st.floats() | texts,
)
def test_it_renders_any_time_and_size(moment, amount):
    html = RENDER.render(Context({"moment": moment, "amount": amount}))
    shown = isinstance(moment, datetime) and aware_utc(moment) is not None
    assert ("<time" in html) == shown
    assert html.count("—") == (not shown) + (size(amount) == size(None))


# --- the webhook, through the endpoint and the database ------------------------------------

people_and_hosts = {
    "actor": st.fixed_dictionaries({"name": texts | scalars}) | json_values,
    "request": st.fixed_dictionaries({"addr": texts | scalars}) | json_values,
    "source": st.fixed_dictionaries({"addr": texts, "instanceID": texts}) | json_values,
}
# Pushes and deletes as distribution sends them, hostile where it passes data through (times,
# sizes, names of people and hosts): these reach the database.
plausible_events = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str),
        "action": st.sampled_from(["push", "delete"]),
        "timestamp": timestamps,
        "target": st.fixed_dictionaries(
            {
                "repository": st.sampled_from(["app", "team/app"]),
                "digest": st.sampled_from(DIGESTS[:2]),
                "mediaType": st.sampled_from(sorted(mt.IMAGE_MANIFEST_TYPES | mt.INDEX_TYPES)),
                "size": sizes,
            },
            optional={"tag": st.sampled_from(["v1", "latest"])},
        ),
        **people_and_hosts,
    },
)
# Anything at all in the same shape.
hostile_events = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str) | texts | scalars,
        "action": st.sampled_from(["push", "delete", "pull", "mount"]) | scalars,
        "timestamp": timestamps,
        "target": st.fixed_dictionaries(
            {
                "repository": st.sampled_from(["app", "team/app"]) | texts | scalars,
                "digest": digests | scalars,
                "mediaType": st.sampled_from(MEDIA_TYPES) | texts,
                "size": sizes,
            },
            optional={"tag": st.sampled_from(["v1", "latest"]) | texts | scalars},
        )
        | json_values,
    },
    optional=people_and_hosts,
)
events = plausible_events | hostile_events | json_values
envelopes = bodies(st.fixed_dictionaries({"events": st.lists(events, max_size=4)}))


@pytest.fixture
def hooked():
    return Registry.objects.create(
        name="hooked", url="https://hooked.example", webhook_secret=WEBHOOK_SECRET
    )


@BOUNDED
@given(body=envelopes)
def test_it_accepts_or_refuses_any_envelope_and_stores_only_what_fits(client, hooked, body):
    response = client.generic(
        "POST", "/hooks/registry/hooked/events", body, content_type=EVENTS_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {WEBHOOK_SECRET}", CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE=EVENTS_TYPE,  # the test client drops it for an empty body
    )  # fmt: skip
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 200:
        counts = response.json()
        assert counts["accepted"] + counts["duplicates"] + counts["ignored"] == len(
            json.loads(body)["events"]
        )
    for stored in RegistryEvent.objects.filter(registry=hooked):
        assert stored.size is None or 0 <= stored.size <= SIZE_MAX
        assert_sane_time(stored.occurred_at)
        assert is_valid_repository(stored.repository)


# --- whole pages over any registry content -------------------------------------------------

FUZZ = "https://fuzz.example"
tag_lists = st.lists(st.sampled_from(["v1", "1.2.0", "latest"]) | texts | scalars, max_size=5)


@st.composite
def registry_content(draw: st.DrawFn) -> tuple[list, dict[str, tuple[int, dict, bytes]]]:
    """(the listed tags, path -> (status, headers, body)): one image, index, artifact,
    schema 1 manifest or arbitrary body behind every valid tag."""
    routes: dict[str, tuple[int, dict, bytes]] = {}

    def serve(body: bytes, content_type: str) -> dict:
        digest = compute(body)
        headers = {"Docker-Content-Digest": digest, "Content-Type": content_type}
        routes[f"/v2/app/manifests/{digest}"] = (200, headers, body)
        return {"mediaType": content_type, "digest": digest, "size": len(body)}

    config_body = draw(encoded(configs))
    routes[f"/v2/app/blobs/{compute(config_body)}"] = (200, {}, config_body)
    config = {
        "mediaType": draw(st.sampled_from(CONFIG_TYPES)),
        "digest": compute(config_body),
        "size": len(config_body),
    }
    image = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": config,
        "layers": draw(st.lists(descriptors, max_size=2)),
        "annotations": draw(st.dictionaries(texts, texts, max_size=2)),
    }
    kind = draw(st.sampled_from(["image", "index", "schema1", "raw"]))
    if kind == "image":
        top, content_type = json.dumps(image).encode(), mt.OCI_MANIFEST
    elif kind == "index":
        child = serve(json.dumps(image).encode(), mt.OCI_MANIFEST)
        child["platform"] = draw(platforms)
        index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX,
                 "manifests": [child, *draw(st.lists(descriptors, max_size=2))]}  # fmt: skip
        top, content_type = json.dumps(index).encode(), mt.OCI_INDEX
    elif kind == "schema1":
        history = [{"v1Compatibility": config_body.decode("utf-8", "replace")}]
        legacy = {
            "schemaVersion": 1,
            "name": "app",
            "tag": "v1",
            "history": history,
            "architecture": draw(texts),
            "fsLayers": [{"blobSum": draw(digests)}],
        }
        top, content_type = json.dumps(legacy).encode(), SCHEMA1
    else:
        top, content_type = draw(bodies(manifests)), draw(st.sampled_from(MEDIA_TYPES))
    serve(top, content_type)
    headers = routes[f"/v2/app/manifests/{compute(top)}"][1]
    tags = draw(tag_lists)
    for tag in tags:
        if isinstance(tag, str) and is_valid_tag(tag):
            routes[f"/v2/app/manifests/{tag}"] = (200, headers, top)
    listing = draw(encoded(st.just({"name": "app", "tags": tags})))
    routes["/v2/app/tags/list"] = (200, {"Content-Type": "application/json"}, listing)
    return tags, routes


@pytest.fixture
def fuzz_row():
    return Registry.objects.create(name="fuzz", url=FUZZ)


@PAGES
@given(content=registry_content())
def test_it_renders_the_repository_and_tag_pages_for_any_registry_content(
    client, fuzz_row, content
):
    tags, routes = content
    cache.clear()  # every example is a registry seen for the first time

    def answer(request) -> tuple[int, dict, bytes]:
        path = request.path_url.partition("?")[0]
        status, headers, body = routes.get(path, (404, {}, b'{"errors": []}'))
        return status, headers, b"" if request.method == "HEAD" else body

    valid = {t for t in tags if isinstance(t, str) and is_valid_tag(t)}
    paths = ["/registry/fuzz/app/?sort=newest"]
    paths += [f"/registry/fuzz/app:{tag}" for tag in sorted(valid)[:1]]
    paths += ["/api/v1/registries/fuzz/repositories/app/tags"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        for method in (responses.GET, responses.HEAD):
            fake.add_callback(method, re.compile(rf"{FUZZ}/.*"), callback=answer)
        repository_page = client.get("/registry/fuzz/app/")
        for path in paths:
            response = client.get(path)  # an exception in a view is raised here
            # A registry's failure is a 502/504 page naming it; a 500 is regfront's own.
            assert response.status_code != 500, (path, response.content[:300])
    assert repository_page.status_code in (200, 502)  # 502: the tag list itself is unusable
    if repository_page.status_code == 200:
        page = repository_page.content.decode()
        assert set(re.findall(r'class="tag-link" href="/registry/fuzz/app:([^"]+)"', page)) == valid
