"""Against a real registry: a deleted image's cosign signature goes with it, a kept image's
stays; a kept multi-arch index keeps its platform images even when their own tags would go."""

import pytest

from registries.retention.models import RetentionRun
from registries.retention.rules import Rules
from registries.retention.run import run_create, run_execute
from tests.retention.support import indexed, policy, tags_now
from tests.support.images import push_image, push_index, tag_existing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.REGFRONT_RETENTION_RATE = 1000


def sig_tag(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


def test_signatures_follow_their_image_and_a_kept_index_keeps_its_images(
    registry_factory, registry_row, unique_repo_name
):
    reg = registry_factory()
    name = unique_repo_name("refs")
    old = push_image(reg, name, "old", seed=f"{name}-old", created="2023-01-01T00:00:00Z")
    new = push_image(reg, name, "new", seed=f"{name}-new", created="2024-01-01T00:00:00Z")
    for image in (old, new):  # a signature-like manifest under cosign's tag for each image
        push_image(reg, name, sig_tag(image.digest), seed=f"sig-{image.digest}", layers=1)
    index = push_index(reg, name, "multi", created="2022-01-01T00:00:00Z")
    child = index.children[0]
    tag_existing(reg, name, "amd64-build", child.manifest_bytes, child.media_type)
    row = indexed(registry_row(reg, name="refs"), name)
    p = policy(row, name, keep_last=1, protect="multi")
    run = run_create(registry=row, rules=Rules.from_policy(p), policy=p,
                     trigger=RetentionRun.Trigger.PORTAL)  # fmt: skip
    planned = run.plan["repositories"][0]
    assert {d["digest"] for d in planned["delete"]} == {
        old.digest,
        tags_now(reg, name)[sig_tag(old.digest)],
    }
    reasons = {k["tag"]: k["reason"] for k in planned["keep"]}
    assert reasons[sig_tag(new.digest)] == "its image stays"
    assert reasons["amd64-build"] == "an image of a kept index"
    run = run_execute(run_id=run.pk)
    assert run.deleted == 2
    assert set(tags_now(reg, name)) == {"new", sig_tag(new.digest), "multi", "amd64-build"}
