"""Retention in the admin: policies editable (without touching a running run's lease), runs
read-only, both limited to the registries the staff member may see."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from registries.models import Registry
from registries.retention.models import RetentionPolicy, RetentionRun

pytestmark = pytest.mark.django_db


def test_it_edits_a_policy_without_touching_its_run_lease_and_hides_other_groups(client, persona):
    row = Registry.objects.create(name="adm", url="http://127.0.0.1:9")
    hidden = Registry.objects.create(name="hidden", url="http://127.0.0.1:9")
    p = RetentionPolicy.objects.create(registry=row, name="nightly", repositories="*",
                                       keep_last=3)  # fmt: skip
    RetentionPolicy.objects.create(registry=hidden, name="secret", repositories="*", keep_last=1)
    RetentionRun.objects.create(registry=row, policy=p, policy_name="nightly", trigger="portal",
                                plan={"repositories": [], "reclaimable_bytes": 0})  # fmt: skip
    expires = timezone.now() + timedelta(seconds=60)
    RetentionPolicy.objects.filter(pk=p.pk).update(run_holder="worker", run_expires=expires)
    hidden.groups.add(Group.objects.create(name="others"))
    stella = persona("stella")
    stella.user_permissions.add(*Permission.objects.filter(codename__contains="retention"))
    listing = client.get("/admin/registries/retentionpolicy/")
    assert "nightly" in listing.content.decode() and "secret" not in listing.content.decode()
    form = {"registry": row.pk, "name": "nightly", "repositories": "*", "keep_last": "5",
            "order": "created", "keep_regex": "", "protect": "", "keep_days": "",
            "interval": ""}  # fmt: skip
    answer = client.post(f"/admin/registries/retentionpolicy/{p.pk}/change/", form)
    assert answer.status_code == 302
    saved = RetentionPolicy.objects.get(pk=p.pk)
    assert saved.keep_last == 5 and saved.run_holder == "worker"
    assert client.get("/admin/registries/retentionrun/").status_code == 200
