"""Sync leases: who indexes a repository right now (repository "": a registry's full sync).

A lease is a SyncLease row, taken by inserting it or by taking over an expired one with a
conditional UPDATE; both are atomic on PostgreSQL and SQLite, so at most one holder has a
row at any time, across processes and machines. A lease expires REGFRONT_SYNC_LEASE seconds
after it was last renewed: a killed worker's leases free themselves. A holder renews all its
leases in one UPDATE while it works, and checks that it still holds them before it writes.
"""

import os
import socket
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from registries.inventory.models import SyncLease
from registries.models import Registry


def new_holder() -> str:
    """A lease holder's name: which machine and process, unique per holder."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


class LeaseHeld(Exception):
    """Another sync holds the lease, until `expires` at the latest (unless renewed)."""

    def __init__(self, repository: str, expires: datetime) -> None:
        self.repository, self.expires = repository, expires
        super().__init__(f"another sync holds {repository or 'the full sync'} until {expires}")


class LeaseLost(Exception):
    """This sync's lease expired and another took it over: it must not write."""

    user_message = "Another worker took over this sync: it was stalled longer than its lease."


def _term() -> timedelta:
    return timedelta(seconds=settings.REGFRONT_SYNC_LEASE)


class Leases:
    """The leases of one sync run, all under one holder id (host, process, run)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.holder = new_holder()
        self.held: set[str] = set()
        self._renewed = time.monotonic()

    def _mine(self):
        return SyncLease.objects.filter(registry=self.registry, holder=self.holder)

    def take(self, repositories: Iterable[str]) -> set[str]:
        """Take every free or expired lease among `repositories`; returns those taken."""
        wanted = set(repositories) - self.held
        if not wanted:
            return set()
        now = timezone.now()
        expires = now + _term()
        theirs = SyncLease.objects.filter(registry=self.registry, repository__in=wanted)
        theirs.filter(expires__lte=now).update(holder=self.holder, expires=expires)
        SyncLease.objects.bulk_create(
            [
                SyncLease(registry=self.registry, repository=name, holder=self.holder,
                          expires=expires)
                for name in wanted
            ],
            ignore_conflicts=True,  # held: the row stays its holder's
        )  # fmt: skip
        taken = set(self._mine().filter(repository__in=wanted).values_list("repository", flat=True))
        self.held |= taken
        return taken

    def take_one(self, repository: str) -> None:
        """Take one lease or raise LeaseHeld (with the holder's expiry, for a retry)."""
        if repository in self.take([repository]):
            return
        held = SyncLease.objects.filter(registry=self.registry, repository=repository)
        expires = held.values_list("expires", flat=True).first()
        raise LeaseHeld(repository, expires or timezone.now())  # None: just released

    def renew(self, *, now: bool = False) -> None:
        """Push the expiry of every lease held (when a third of the term has passed, or
        `now`); LeaseLost when one was taken over meanwhile."""
        term = settings.REGFRONT_SYNC_LEASE
        if not self.held or (not now and time.monotonic() - self._renewed < term / 3):
            return
        self._renewed = time.monotonic()
        renewed = self._mine().update(expires=timezone.now() + _term())
        if renewed != len(self.held):
            raise LeaseLost(LeaseLost.user_message)

    def release(self, repositories: Iterable[str] | None = None) -> None:
        """Give up some leases (default: all of them)."""
        names = self.held if repositories is None else self.held & set(repositories)
        self._mine().filter(repository__in=names).delete()
        self.held -= names
