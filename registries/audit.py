"""Writing audit records: every registry change and every manifest delete, with its outcome."""

from collections.abc import Iterable

from registries.models import AuditRecord

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome


def audit_record(
    *,
    user,
    action: str,
    registry_name: str,
    source: str = "portal",
    repository: str = "",
    digest: str = "",
    tags: Iterable[str] = (),
    outcome: str = Outcome.OK,
    message: str = "",
) -> AuditRecord:
    authenticated = user is not None and user.is_authenticated
    return AuditRecord.objects.create(
        actor=user if authenticated else None,
        actor_name=user.get_username() if authenticated else source,
        source=source,
        action=action,
        registry_name=registry_name,
        repository=repository,
        digest=digest,
        tags=list(tags),
        outcome=outcome,
        message=message[:2000],
    )
