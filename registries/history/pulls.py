"""Pull counts from registry events: manifest GETs only (distribution also reports a HEAD
as a pull), never regfront's own requests (its User-Agent), each event once (the events
table refuses an event id it has, so only new events reach here)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.db.models.functions import Greatest

from registries.client.api import USER_AGENT
from registries.history.models import PullCount
from registries.models import Registry

OWN_AGENT = USER_AGENT.split("/", 1)[0] + "/"


@dataclass(frozen=True)
class Pulls:
    pulls: int
    last_pulled: datetime | None


def counts_pull(method: str, useragent: str) -> bool:
    """Whether a pull event is a person's or a machine's pull (not a HEAD, not regfront)."""
    return method.upper() == "GET" and not useragent.startswith(OWN_AGENT)


def pulls_record(*, registry: Registry, events: Iterable) -> None:
    """Add new pull events to the counts, one UPDATE (or INSERT) per tag."""
    counted: Counter[tuple[str, str]] = Counter()
    latest: dict[tuple[str, str], datetime] = {}
    for event in events:
        if event.action != "pull":
            continue
        key = (event.repository, event.tag)
        counted[key] += 1
        latest[key] = max(latest.get(key, event.occurred_at), event.occurred_at)
    for (repository, tag), n in counted.items():
        _add(registry, repository, tag, n, latest[(repository, tag)])


def _add(registry: Registry, repository: str, tag: str, n: int, when: datetime) -> None:
    rows = PullCount.objects.filter(registry=registry, repository=repository, tag=tag)
    if rows.update(pulls=F("pulls") + n, last_pulled=Greatest("last_pulled", when)):
        return
    try:
        with transaction.atomic():
            PullCount.objects.create(registry=registry, repository=repository, tag=tag,
                                     pulls=n, last_pulled=when)  # fmt: skip
    except IntegrityError:  # another delivery created it meanwhile
        rows.update(pulls=F("pulls") + n, last_pulled=Greatest("last_pulled", when))


def tag_pulls(*, registry: Registry, repository: str, tags: Iterable[str]) -> dict[str, Pulls]:
    rows = PullCount.objects.filter(registry=registry, repository=repository, tag__in=set(tags))
    return {row.tag: Pulls(row.pulls, row.last_pulled) for row in rows}


def repository_pulls(*, registry: Registry, repository: str) -> Pulls:
    rows = PullCount.objects.filter(registry=registry, repository=repository)
    total = rows.aggregate(pulls=Sum("pulls"), last=Max("last_pulled"))
    return Pulls(total["pulls"] or 0, total["last"])
