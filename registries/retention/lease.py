"""One run of a policy at a time: a lease on the policy row, taken and renewed by conditional
UPDATEs (atomic on PostgreSQL and SQLite), lasting REGFRONT_SYNC_LEASE seconds past its last
renewal so that a killed worker's run can be resumed by another."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from registries.retention.models import RetentionPolicy


class RunHeld(Exception):
    """Another run of the policy holds the lease until `expires` (unless renewed)."""

    def __init__(self, expires: datetime) -> None:
        self.expires = expires
        super().__init__(f"another run of this policy is running (lease until {expires})")


def _expiry() -> datetime:
    return timezone.now() + timedelta(seconds=settings.REGFRONT_SYNC_LEASE)


def lease_take(*, policy_id: int, holder: str) -> None:
    now = timezone.now()
    free = Q(run_holder="") | Q(run_expires__lte=now) | Q(run_expires__isnull=True)
    if RetentionPolicy.objects.filter(free, pk=policy_id).update(
        run_holder=holder, run_expires=_expiry()
    ):
        return
    expires = RetentionPolicy.objects.filter(pk=policy_id).values_list("run_expires", flat=True)
    raise RunHeld(expires.first() or now)


def lease_renew(*, policy_id: int, holder: str) -> bool:
    """False when the lease was lost (expired and taken over)."""
    mine = RetentionPolicy.objects.filter(pk=policy_id, run_holder=holder)
    return mine.update(run_expires=_expiry()) == 1


def lease_release(*, policy_id: int, holder: str) -> None:
    RetentionPolicy.objects.filter(pk=policy_id, run_holder=holder).update(
        run_holder="", run_expires=None
    )
