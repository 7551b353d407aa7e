"""The Activity timeline: regfront's audit trail and the registries' own events, merged."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, Value

from registries.models import AuditRecord, RegistryEvent


@dataclass(frozen=True)
class ActivityItem:
    when: datetime
    record: AuditRecord | None = None  # something done through regfront
    event: RegistryEvent | None = None  # something the registry reported (push, delete)


def activity_page(*, number: str | int | None, per_page: int) -> Page:
    """One page of the merged timeline, newest first: one UNION query, then the page's rows."""
    # order_by(): no per-table ORDER BY inside the UNION (the models have a default one).
    audit = (
        AuditRecord.objects.order_by()
        .annotate(kind=Value("audit", output_field=CharField()), when=F("created_at"))
        .values_list("kind", "pk", "when")
    )
    events = (
        RegistryEvent.objects.order_by()
        .annotate(kind=Value("event", output_field=CharField()), when=F("occurred_at"))
        .values_list("kind", "pk", "when")
    )
    timeline = audit.union(events, all=True).order_by("-when", "kind", "-pk")
    page = Paginator(timeline, per_page).get_page(number)
    rows = list(page.object_list)
    records = AuditRecord.objects.select_related("actor").in_bulk(
        [pk for kind, pk, _ in rows if kind == "audit"]
    )
    registry_events = RegistryEvent.objects.select_related("registry").in_bulk(
        [pk for kind, pk, _ in rows if kind == "event"]
    )
    page.object_list = [
        ActivityItem(when, record=records.get(pk))
        if kind == "audit"
        else ActivityItem(when, event=registry_events.get(pk))
        for kind, pk, when in rows
    ]
    return page
