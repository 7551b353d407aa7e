"""`manage.py retention`: the dry run's JSON is the page's plan, ad hoc policies, a real run,
non-zero exits."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registries.retention.index import index_plan
from registries.retention.rules import Rules
from tests.retention.support import indexed, policy, stock, tags_now

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def reg(registry_factory):
    return registry_factory()


def command(*args) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_json_is_the_plan_page_s_plan(
    client, persona, reg, registry_row, unique_repo_name
):
    name = unique_repo_name("cli")
    stock(reg, name)
    row = indexed(registry_row(reg, name="cli"), name)
    p = policy(row, name)
    printed = json.loads(command("--policy", "nightly", "--dry-run", "--json"))
    assert set(printed) == {"repositories", "reclaimable_bytes"}
    entry = printed["repositories"][0]
    assert set(entry) == {"repository", "delete", "keep", "skipped"}
    persona("chris")
    page = client.get(f"/manage/registries/cli/retention/{p.name}/")
    assert printed == page.context["plan"].as_json()
    assert len(tags_now(reg, name)) == 5  # a dry run deletes nothing
    ad_hoc = json.loads(command("--registry", "cli", "--repository", name, "--keep-last", "1",
                                "--protect", "latest", "--dry-run", "--json"))  # fmt: skip
    assert ad_hoc == printed
    by_version = json.loads(command("--registry", "cli", "--repository", name, "--keep-last", "2",
                                    "--order", "version", "--dry-run", "--json"))  # fmt: skip
    kept = {k["tag"] for k in by_version["repositories"][0]["keep"]}
    assert kept == {"2.0", "1.0", "stable", "latest"}  # the last two versions, and 1.0's siblings


def test_a_real_run_prints_what_it_deleted(reg, registry_row, unique_repo_name, settings):
    settings.REGFRONT_RETENTION_RATE = 1000
    name = unique_repo_name("cli-run")
    stocked = stock(reg, name)
    row = indexed(registry_row(reg, name="clirun"), name)
    policy(row, name)
    printed = json.loads(command("--policy", "nightly", "--registry", "clirun", "--json"))
    older = stocked.images["older"].digest
    assert printed["repositories"][0]["delete"] == [{"digest": older, "tags": ["0.9"]}]
    assert "0.9" not in tags_now(reg, name)
    plan = index_plan(registry=row, rules=Rules(repositories=(name,), protect=("1.0", "2.0")))
    # The index still has 0.9 until the sync the run queued has run.
    assert [d.digest for d in plan.repositories[0].delete] == [older]


def test_it_exits_non_zero_on_errors(registry_nodelete, registry_row, db):
    row = indexed(registry_row(registry_nodelete, name="nodel"), "app")
    policy(row, "app")
    with pytest.raises(CommandError, match="405 UNSUPPORTED"):
        command("--policy", "nightly", "--json")
    with pytest.raises(CommandError, match="No policy named"):
        command("--policy", "nope")
    with pytest.raises(CommandError, match="at least one keep rule"):
        command("--registry", "nodel", "--repository", "app", "--dry-run")
    with pytest.raises(CommandError, match="--registry and --repository"):
        command("--dry-run")
