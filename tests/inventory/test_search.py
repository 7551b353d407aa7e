"""Search across registries, from the index: the service, the page, the jump box and the API.
The index is filled by real syncs of two real registries (dev and prod) where that is the
point, and by rows written directly where the names themselves are the point."""

import hashlib
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from playwright.sync_api import expect

from registries.api.auth import token_create
from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.inventory.search import MANIFESTS_MAX, search_index
from registries.inventory.services import registry_sync
from registries.models import Registry
from tests.api_support import schema_errors
from tests.browser import PHONE, check_page, guard_third_party
from tests.support.images import push_image, push_index

pytestmark = pytest.mark.django_db

OWNER = {"org.example.owner": "Ünïcode Team", "org.example.note": "<script>alert(1)</script>"}
DESCRIPTION = {"org.opencontainers.image.description": "Multi arch build for promotion"}


def push_release(reg):
    """What dev and prod both hold after a promotion: the same image and the same index."""
    image = push_image(reg, "team/app", "1.0", kind="oci", seed="release-1.0", labels=OWNER)
    index = push_index(reg, "team/multi", "v1", seed="release-multi", annotations=DESCRIPTION)
    return image, index


@pytest.fixture(scope="module")
def dev(registry_factory):
    reg = registry_factory()
    reg.image, reg.index = push_release(reg)
    push_image(reg, "team/app", "nightly", kind="oci", seed="dev-only")
    return reg


@pytest.fixture(scope="module")
def prod(registry_factory):
    reg = registry_factory()
    reg.image, reg.index = push_release(reg)
    return reg


@pytest.fixture
def indexed(dev, prod, registry_row):
    """Both registries synced into the index; prod is limited to the group `ops`."""
    rows = {"dev": registry_row(dev, name="dev"), "prod": registry_row(prod, name="prod")}
    for row in rows.values():
        registry_sync(registry=row)
    rows["prod"].groups.add(Group.objects.create(name="ops"))
    return rows


@pytest.fixture
def ops_member(db):
    user = User.objects.create_user("olga", password="olga-password-123")
    user.groups.add(Group.objects.get_or_create(name="ops")[0])
    return user


@pytest.fixture
def outsider(db):
    return User.objects.create_user("otto", password="otto-password-123")


def where(group) -> list[tuple[str, str, str]]:
    return [(h.registry.name, h.repository, h.tag) for h in group.hits]


def where_held(labels) -> list[tuple[str, str, str]]:
    return [(h.holder.registry.name, h.holder.repository, h.holder.tag) for h in labels.hits]


def seed_rows(registry: Registry, names: dict[str, list[str]], digest: str = "") -> None:
    """Index rows written directly: repository name -> tag names, all at one digest."""
    now = timezone.now()
    digest = digest or "sha256:" + uuid.uuid4().hex * 2
    for name, tags in names.items():
        repo = IndexedRepository.objects.create(
            registry=registry, name=name, first_seen=now, last_seen=now
        )
        for tag in tags:
            IndexedTag.objects.create(
                repository=repo, name=tag, digest=digest, first_seen=now, last_seen=now
            )


# --- the service -----------------------------------------------------------------------------


def test_it_finds_repositories_and_tags_by_name_in_any_case(indexed, ops_member):
    results = search_index(user=ops_member, query="TEAM/Mu")
    assert [(h.registry.name, h.repository) for h in results.repositories.hits] == [
        ("dev", "team/multi"),
        ("prod", "team/multi"),
    ]
    assert where(search_index(user=ops_member, query="nightl").tags) == [
        ("dev", "team/app", "nightly")
    ]
    assert not results.refused and not results.repositories.more


def test_a_digest_prefix_finds_every_registry_holding_it(indexed, dev, ops_member):
    hexdigits = dev.image.digest.removeprefix("sha256:")
    for query in (hexdigits[:7], f"sha256:{hexdigits[:12]}", dev.image.digest.upper()):
        digests = search_index(user=ops_member, query=query).digests
        assert where(digests) == [("dev", "team/app", "1.0"), ("prod", "team/app", "1.0")]
        assert {h.digest for h in digests.hits} == {dev.image.digest}


def test_a_platform_images_digest_finds_the_tags_of_its_index(indexed, dev, ops_member):
    child = dev.index.children[1].digest
    digests = search_index(user=ops_member, query=child[:20]).digests
    assert where(digests) == [("dev", "team/multi", "v1"), ("prod", "team/multi", "v1")]
    assert {(h.digest, h.via) for h in digests.hits} == {(dev.index.digest, child)}


def test_labels_and_annotations_are_found_by_value(indexed, dev, ops_member):
    labels = search_index(user=ops_member, query="Ünïcode").labels
    assert [
        (*at, h.key, h.value) for h, at in zip(labels.hits, where_held(labels), strict=True)
    ] == [
        ("dev", "team/app", "1.0", "org.example.owner", "Ünïcode Team"),
        ("prod", "team/app", "1.0", "org.example.owner", "Ünïcode Team"),
    ]
    annotations = search_index(user=ops_member, query="for promotion").labels
    assert where_held(annotations) == [("dev", "team/multi", "v1"), ("prod", "team/multi", "v1")]
    assert annotations.hits[0].key == "org.opencontainers.image.description"
    # Labels of a platform image are found through its index's tags.
    platform = search_index(user=ops_member, query="release-multi/linux/amd64").labels
    assert where_held(platform) == [("dev", "team/multi", "v1"), ("prod", "team/multi", "v1")]
    assert platform.hits[0].holder.via == dev.index.children[0].digest


def test_a_label_key_alone_is_no_hit(indexed, ops_member):
    assert search_index(user=ops_member, query="org.example.owner").labels.hits == []


def test_group_limited_registries_never_appear_for_others(indexed, dev, outsider, ops_member):
    queries = ["team/app", "1.0", dev.image.digest[:14], "Ünïcode"]
    for user in (outsider, AnonymousUser()):
        for query in queries:
            results = search_index(user=user, query=query)
            hits = [*results.repositories.hits, *results.tags.hits, *results.digests.hits]
            hits += [label.holder for label in results.labels.hits]
            assert hits and {h.registry.name for h in hits} == {"dev"}, query
    member_sees = search_index(user=ops_member, query="team/app").repositories.hits
    assert {h.registry.name for h in member_sees} == {"dev", "prod"}


def test_percent_and_underscore_are_literal(outsider):
    registry = Registry.objects.create(name="rows", url="https://rows.example")
    seed_rows(registry, {"ab_cd": ["v1"], "abxcd": ["v1"], "100%done": ["v1"], "100xdone": []})
    assert [h.repository for h in search_index(user=outsider, query="b_c").repositories.hits] == [
        "ab_cd"
    ]
    assert [h.repository for h in search_index(user=outsider, query="0%d").repositories.hits] == [
        "100%done"
    ]
    assert search_index(user=outsider, query="%%%").repositories.hits == []


def test_each_group_is_limited_and_says_there_is_more(outsider):
    registry = Registry.objects.create(name="rows", url="https://rows.example")
    seed_rows(registry, {f"many/app{i}": ["stable"] for i in range(3)})
    results = search_index(user=outsider, query="many/", limit=2)
    shown = [h.repository for h in results.repositories.hits]
    assert (
        len(shown) == 2
        and shown == sorted(shown)
        and set(shown) < {"many/app0", "many/app1", "many/app2"}
    )
    assert results.repositories.more
    tags = search_index(user=outsider, query="stable", limit=2).tags
    assert len(tags.hits) == 2 and tags.more
    assert not search_index(user=outsider, query="many/", limit=3).repositories.more


def test_a_label_on_more_manifests_than_are_read_says_there_is_more(outsider):
    registry = Registry.objects.create(name="rows", url="https://rows.example")
    now = timezone.now()
    for i in range(MANIFESTS_MAX + 1):
        digest = f"sha256:{i:064x}"
        seed_rows(registry, {f"common/app{i}": ["v1"]}, digest=digest)
        IndexedManifest.objects.create(
            registry=registry,
            digest=digest,
            media_type="application/vnd.oci.image.manifest.v1+json",
            kind="image",
            labels={"org.example.team": "platform"},
            fetched_at=now,
        )
    labels = search_index(user=outsider, query="platform", limit=100).labels
    assert len(labels.hits) == MANIFESTS_MAX and labels.more


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("ab", "Type at least 3 characters."),
        ("sha256:abc12", "A digest prefix is 7 to 64 hex digits"),
        ("sha256:" + "a" * 65, "A digest prefix is 7 to 64 hex digits"),
        ("x" * 256, "A search is at most 255 characters."),
        ("ab\x00cd", "A search cannot contain NUL characters."),
    ],
)
def test_hostile_or_short_queries_are_refused_with_a_reason(outsider, query, message):
    results = search_index(user=outsider, query=query)
    assert results.refused.startswith(message)
    assert not results.found


def test_the_query_runs_few_statements(indexed, dev, ops_member):
    with CaptureQueriesContext(connection) as queries:
        search_index(user=ops_member, query=dev.image.digest[:12])
    # groups, memberships, repositories, tags, digests (manifests, indexes, tags), labels
    assert len(queries) <= 10


# --- the page and the jump box ---------------------------------------------------------------


def test_the_page_groups_hits_with_links(client, indexed, dev):
    page = client.get("/search/", {"q": "team/app"}).content.decode()
    assert '<h2 id="repositories-heading">Repositories</h2>' in page
    assert 'href="/registry/dev/team/app/"' in page
    assert "/registry/prod/" not in page  # anonymous: prod is for ops only
    page = client.get("/search/", {"q": dev.image.digest[:16]}).content.decode()
    assert "Where the digest is" in page
    assert 'href="/registry/dev/team/app:1.0"' in page


def test_registry_data_is_escaped_on_the_page(client, indexed):
    page = client.get("/search/", {"q": "alert(1)"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_says_when_nothing_matches_or_the_query_is_too_short(client, indexed):
    assert (
        "Nothing in the index matches “zzz-none”."
        in client.get("/search/", {"q": "zzz-none"}).content.decode()
    )
    assert "Type at least 3 characters." in client.get("/search/", {"q": "ab"}).content.decode()
    assert (
        "A digest prefix is 7 to 64"
        in client.get("/search/", {"q": "sha256:12ab"}).content.decode()
    )
    empty = client.get("/search/").content.decode()
    assert '<label for="search-q">' in empty and "Nothing in the index" not in empty


def test_the_group_limited_registry_is_on_the_page_for_members(client, indexed, ops_member):
    client.force_login(ops_member)
    page = client.get("/search/", {"q": "team/app"}).content.decode()
    assert 'href="/registry/prod/team/app/"' in page


def test_the_jump_box_falls_back_to_search(client, indexed, dev):
    prefix = dev.image.digest[:15]  # `sha256:` and 8 digits
    response = client.get("/go", {"ref": prefix})
    assert response.status_code == 302
    assert response["Location"] == f"/search/?q=sha256%3A{prefix[7:]}"
    page = client.get(response["Location"]).content.decode()
    assert 'href="/registry/dev/team/app:1.0"' in page
    assert client.get("/go", {"ref": "ünïcode team"})["Location"].startswith("/search/?q=")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_on_a_phone_the_jump_box_finds_a_digest(browser, live_server, indexed, dev):
    offenders: list[str] = []
    page = browser.new_context(viewport=PHONE).new_page()
    guard_third_party(page, offenders)
    page.goto(live_server.url)
    page.get_by_label("Go to an image reference, or search").fill(dev.index.children[1].digest[:19])
    page.get_by_label("Go to an image reference, or search").press("Enter")
    expect(page.get_by_role("heading", name="Where the digest is")).to_be_visible()
    expect(page.get_by_role("link", name="team/multi:v1")).to_be_visible()
    check_page(page, "search-digest")
    page.get_by_label("Search every registry").fill("ab")
    page.get_by_label("Search every registry").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Type at least 3 characters.")
    check_page(page, "search-too-short")
    assert offenders == []


# --- the API ---------------------------------------------------------------------------------


def test_the_api_answers_as_documented(client, indexed, dev):
    response = client.get("/api/v1/search", {"q": dev.index.children[0].digest[:16]})
    assert response.status_code == 200
    body = response.json()
    assert schema_errors("SearchResults", body) == []
    assert [(h["registry"], h["tag"], h["via"]) for h in body["digests"]["hits"]] == [
        ("dev", "v1", dev.index.children[0].digest)
    ]
    assert body["digests"]["hits"][0]["web_url"] == "/registry/dev/team/multi:v1"
    assert body["digests"]["hits"][0]["manifest_url"] == (
        "/api/v1/registries/dev/repositories/team/multi/manifests/v1"
    )


def test_the_api_respects_groups_with_a_token(client, indexed, ops_member, outsider):
    def registries(token: str) -> set[str]:
        body = client.get(
            "/api/v1/search", {"q": "team/app"}, HTTP_AUTHORIZATION=f"Bearer {token}"
        ).json()
        return {h["registry"] for h in body["repositories"]["hits"]}

    assert registries(token_create(user=outsider, name="ci")[1]) == {"dev"}
    assert registries(token_create(user=ops_member, name="ci")[1]) == {"dev", "prod"}


def test_the_api_refuses_a_short_query_and_a_bad_limit(client, indexed):
    for params in ({"q": "ab"}, {}, {"q": "sha256:abc"}, {"q": "team", "limit": "101"}):
        response = client.get("/api/v1/search", params)
        assert response.status_code == 400, params
        assert schema_errors("Error", response.json()) == []
    assert (
        "7 to 64 hex digits"
        in client.get("/api/v1/search", {"q": "sha256:abc"}).json()["error"]["message"]
    )


def test_the_api_limits_each_group(client, indexed):
    body = client.get("/api/v1/search", {"q": "team/", "limit": "1"}).json()
    assert len(body["repositories"]["hits"]) == 1 and body["repositories"]["more"]


# --- PostgreSQL: the plan uses the trigram and prefix indexes -----------------------------


# Enough for PostgreSQL to prefer the indexes unprompted (below them a scan is cheaper):
# a full digest is many trigrams, so the index lookup wants more manifests to pay off.
SEED_ROWS = 5_000
SEED_MANIFESTS = 50_000


def seed_in_bulk(registry: Registry) -> None:
    """SEED_ROWS repositories, one tag each, and SEED_MANIFESTS labelled manifests (every tenth an
    index listing the one before), written by the database itself (generate_series): md5
    names spread the trigrams as real names do."""
    tables = {
        m.__name__: m._meta.db_table for m in (IndexedRepository, IndexedTag, IndexedManifest)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {tables["IndexedRepository"]} (registry_id, name, first_seen, last_seen)
            SELECT %s, 'team' || mod(i, 40) || '/svc-' || md5(i::text), now(), now()
            FROM generate_series(1, %s) AS i""",
            [registry.pk, SEED_ROWS],
        )
        cursor.execute(
            f"""INSERT INTO {tables["IndexedTag"]}
                (repository_id, name, digest, first_seen, last_seen)
            SELECT id, 'v' || id || '-' || md5(name), 'sha256:' || md5(name) || md5(id::text),
                now(), now()
            FROM {tables["IndexedRepository"]} WHERE registry_id = %s""",
            [registry.pk],
        )
        cursor.execute(
            f"""INSERT INTO {tables["IndexedManifest"]} (registry_id, digest, media_type, kind,
                platforms, config_digest, layers, subject_digest, labels, annotations,
                artifact_type, fetched_at, image_children)
            SELECT %s, 'sha256:' || md5(i::text) || md5((-i)::text), 'x',
                CASE WHEN mod(i, 10) = 0 THEN 'index' ELSE 'image' END, '[]', '', '[]', '',
                jsonb_build_object('org.example.build', md5((i * 7)::text)), '{{}}', '', now(),
                CASE WHEN mod(i, 10) = 0
                THEN jsonb_build_array('sha256:' || md5((i - 1)::text) || md5((1 - i)::text))
                ELSE '[]' END
            FROM generate_series(1, %s) AS i""",
            [registry.pk, SEED_MANIFESTS],
        )
        for table in tables.values():
            cursor.execute(f"ANALYZE {table}")
        # New GIN entries wait in a pending list (merged by VACUUM, which cannot run in a
        # test's transaction) that the planner counts against the index: merge it now.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index "
            "WHERE indexrelid::regclass::text LIKE 'inventory_%%_trgm'"
        )


@pytest.mark.postgres
def test_on_postgresql_the_search_uses_its_indexes(outsider):
    registry = Registry.objects.create(name="big", url="https://big.example")
    seed_in_bulk(registry)
    needle = IndexedRepository.objects.get(name__endswith=f"-{md5_hex(1234)}").name[-20:-12]
    with CaptureQueriesContext(connection) as queries:
        results = search_index(user=outsider, query=needle)
        # A platform image's digest (manifest 9, listed by index 10): its index is looked up.
        search_index(user=outsider, query=f"sha256:{md5_hex(9)[:12]}")
    assert [h.repository for h in results.repositories.hits] == [f"team34/svc-{md5_hex(1234)}"]
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "registries_indexed" in query["sql"]:
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    plan = "\n\n".join(plans)
    for index in (
        "inventory_repository_name_trgm",
        "inventory_tag_name_trgm",
        "inventory_manifest_labels_trgm",
        "inventory_manifest_digest_prefix",
        "inventory_manifest_children_trgm",
    ):
        assert index in plan, plan


def md5_hex(number: int) -> str:
    return hashlib.md5(str(number).encode()).hexdigest()  # names, not secrets
