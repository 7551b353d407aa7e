"""The storage pass on its own: growth buckets by the span, what is attached to an image
counts with it and is not reclaimable while the image is tagged, an untagged index frees its
images' blobs, and the service's queries do not grow with the number of repositories."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from registries.inventory.models import IndexedManifest, IndexedRepository, IndexedTag
from registries.retention.storage import registry_storage
from registries.retention.storage_figures import (
    BlobTable,
    ManifestRow,
    StoragePass,
    TagRow,
    bucket_unit,
)

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def image(table: BlobTable, digest: str, *blobs: tuple[str, int], **more) -> ManifestRow:
    return ManifestRow(digest=digest, kind="image", blobs=table.of(blobs), **more)


def test_the_growth_unit_follows_the_span():
    assert bucket_unit(NOW - timedelta(days=30), NOW) == "day"
    assert bucket_unit(NOW - timedelta(days=200), NOW) == "week"
    assert bucket_unit(NOW - timedelta(days=3 * 365), NOW) == "month"
    assert bucket_unit(NOW - timedelta(days=30 * 365), NOW) == "year"


def test_growth_adds_each_blob_once_in_the_bucket_it_first_appears():
    table = BlobTable()
    manifests = {
        "m1": image(table, "m1", ("base", 100), ("one", 10)),
        "m2": image(table, "m2", ("base", 100), ("two", 20)),
    }
    tags = [
        TagRow("r", "1", "m1", NOW - timedelta(days=2)),
        TagRow("r", "2", "m2", NOW - timedelta(days=1)),
        TagRow("s", "2", "m2", NOW),
    ]
    growth = StoragePass(tags=tags, manifests=manifests, blobs=table, now=NOW).growth
    assert growth.unit == "day"
    assert [(p.tags, p.images, p.bytes) for p in growth.points] == [
        (1, 1, 110), (2, 2, 130), (3, 2, 130)
    ]  # fmt: skip
    assert [p.start.day for p in growth.points] == [13, 14, 15]


def test_weeks_start_on_monday_and_empty_buckets_are_kept():
    table = BlobTable()
    manifests = {"m": image(table, "m", ("b", 5))}
    tags = [TagRow("r", "1", "m", NOW - timedelta(days=150))]
    growth = StoragePass(tags=tags, manifests=manifests, blobs=table, now=NOW).growth
    assert growth.unit == "week"
    assert {p.start.weekday() for p in growth.points} == {0}
    assert len(growth.points) >= 21 and growth.points[-1].bytes == 5


def test_a_signature_counts_with_its_image_and_goes_with_it():
    table = BlobTable()
    manifests = {
        "img": image(table, "img", ("layer", 1000)),
        "sig": image(table, "sig", ("sig-layer", 7), subject="img"),
        "old": image(table, "old", ("old-layer", 50), ("layer", 1000)),
        "old-sbom": image(table, "old-sbom", ("sbom", 3), subject="old"),
    }
    tags = [TagRow("r", "1", "img", NOW)]
    figures = StoragePass(tags=tags, manifests=manifests, blobs=table, now=NOW)
    assert figures.unique_bytes == 1007  # the untagged signature is stored beside its image
    # `old` is tagged nowhere: its own layer and its SBOM go; the shared layer stays.
    assert figures.reclaimable.bytes == 53 and figures.reclaimable.manifests == 2


def test_an_untagged_index_frees_its_images_blobs_that_nothing_else_uses():
    table = BlobTable()
    manifests = {
        "idx": ManifestRow(digest="idx", kind="index", children=("amd", "arm")),
        "amd": image(table, "amd", ("a", 10), ("common", 1)),
        "arm": image(table, "arm", ("b", 20), ("common", 1)),
        "kept": image(table, "kept", ("common", 1)),
    }
    tags = [TagRow("r", "kept", "kept", NOW)]
    figures = StoragePass(
        tags=tags, manifests=manifests, blobs=table, now=NOW, deleted=[("r", "idx")]
    )
    assert figures.reclaimable.bytes == 30 and figures.reclaimable.manifests == 3
    assert figures.repository("r").reclaimable.bytes == 30  # deleted from `r`, by the record
    tagged = StoragePass(tags=[*tags, TagRow("r", "multi", "idx", NOW)], manifests=manifests,
                         blobs=table, now=NOW)  # fmt: skip
    assert tagged.largest_images(1)[0].bytes == 31  # the common blob once
    assert tagged.reclaimable.bytes == 0


def _index(registry, repositories: int) -> None:
    now = timezone.now()
    for i in range(repositories):
        repository = IndexedRepository.objects.create(
            registry=registry, name=f"n/r{i}", first_seen=now, last_seen=now, last_synced=now
        )
        digest = f"sha256:{i:064x}"
        IndexedManifest.objects.create(
            registry=registry, digest=digest, media_type="m", kind="image", size=150,
            config_digest=f"sha256:c{i:063x}", fetched_at=now,
            layers=[{"digest": "sha256:" + "f" * 64, "size": 100, "media_type": "l"}],
        )  # fmt: skip
        IndexedTag.objects.create(
            repository=repository, name="1", digest=digest, first_seen=now, last_seen=now
        )


@pytest.mark.django_db
@pytest.mark.parametrize("repositories", [3, 60])
def test_the_queries_do_not_grow_with_the_repositories(
    registry_row, registry_open, repositories, django_assert_max_num_queries
):
    row = registry_row(registry_open, name=f"count{repositories}")
    _index(row, repositories)
    with django_assert_max_num_queries(11):
        storage = registry_storage(registry=row)
    assert len(storage.figures.repositories) == repositories
    # One shared 100-byte layer and one 50-byte config each.
    assert storage.figures.unique_bytes == 100 + 50 * repositories
    assert storage.figures.shared_bytes == 100


def test_webhook_pushes_are_counted_in_their_bucket_not_summed():
    table = BlobTable()
    manifests = {"m": image(table, "m", ("b", 5))}
    tags = [TagRow("r", "1", "m", NOW - timedelta(days=2))]
    pushes = [("r", NOW - timedelta(days=2)), ("r", NOW - timedelta(days=2)), ("s", NOW)]
    figures = StoragePass(tags=tags, manifests=manifests, blobs=table, now=NOW, pushes=pushes)
    assert [p.pushes for p in figures.growth.points] == [2, 0, 1]
    assert [p.pushes for p in figures.repository("r").growth.points] == [2, 0, 0]


@pytest.mark.django_db
def test_the_service_reads_the_webhook_s_tag_pushes(registry_row, registry_open):
    from registries.events.envelope import parse_envelope
    from registries.events.services import events_store
    from tests.api_support import envelope, event

    row = registry_row(registry_open, name="pushed")
    _index(row, 1)
    events, _ = parse_envelope(envelope(event(repository="n/r0", tag="2"), event(tag=None)))
    events_store(registry=row, events=events)
    points = registry_storage(registry=row).figures.growth.points
    assert sum(p.pushes for p in points) == 1  # the push without a tag is no tag push
