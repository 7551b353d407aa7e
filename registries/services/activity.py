"""The Activity timeline: regfront's audit trail and the registries' own events, merged."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, QuerySet, Value

from registries.models import AuditRecord, Registry, RegistryEvent


@dataclass(frozen=True)
class ActivityItem:
    when: datetime
    record: AuditRecord | None = None  # something done through regfront
    event: RegistryEvent | None = None  # something the registry reported (push, delete)


def visible_audit_records(user) -> QuerySet[AuditRecord]:
    """Audit records, less those of registries that exist and are hidden from `user` (group
    limits apply to staff too). Records of removed registries stay, as the trail of what
    happened."""
    records = AuditRecord.objects.all()
    if user.is_superuser:
        return records
    hidden = Registry.objects.exclude(pk__in=Registry.objects.visible_to(user).values("pk"))
    return records.exclude(registry_name__in=hidden.values("name"))


def visible_events(user) -> QuerySet[RegistryEvent]:
    """Events of registries `user` may see (group limits apply to staff too)."""
    events = RegistryEvent.objects.exclude(action=RegistryEvent.Action.PULL)  # counted, not listed
    if user.is_superuser:
        return events
    return events.filter(registry__in=Registry.objects.visible_to(user))


def activity_page(*, user, number: str | int | None, per_page: int) -> Page:
    """One page of the merged timeline of what `user` may see, newest first: one UNION
    query, then the page's rows."""
    # order_by(): no per-table ORDER BY inside the UNION (the models have a default one).
    audit = (
        visible_audit_records(user)
        .order_by()
        .annotate(kind=Value("audit", output_field=CharField()), when=F("created_at"))
        .values_list("kind", "pk", "when")
    )
    events = (
        visible_events(user)
        .order_by()
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
