"""Helpers shared by the pinned, webhook and API tests (fixtures stay in each test module)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from registries.api.openapi import openapi_document

WEBHOOK_SECRET = "webhook-token-for-tests-0123456789"
EVENTS_TYPE = "application/vnd.docker.distribution.events.v1+json"


def refuse_catalog(account: str | None, type_: str, name: str, actions: list[str]) -> list[str]:
    """Token server grants: everything on repositories for alice, nothing on the catalog."""
    if type_ != "repository":
        return []
    return list(actions) if account == "alice" else [a for a in actions if a == "pull"]


def event(
    action: str = "push",
    *,
    repository: str = "app",
    tag: str | None = "v1",
    digest: str = "sha256:" + "a" * 64,
    media_type: str = "application/vnd.docker.distribution.manifest.v2+json",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One event as distribution 2.8 sends it."""
    target: dict[str, Any] = {"repository": repository, "digest": digest}
    if action == "push":
        target |= {"mediaType": media_type, "size": 525, "length": 525}
    if tag:
        target["tag"] = tag
    return {
        "id": event_id or str(uuid.uuid4()),
        "timestamp": "2026-01-02T03:04:05.123456789Z",
        "action": action,
        "target": target,
        "request": {"id": "r1", "addr": "10.0.0.7:51234", "host": "reg", "method": "PUT"},
        "actor": {"name": "alice"},
        "source": {"addr": "registry-a:5000", "instanceID": "i-1"},
    } | extra


def envelope(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def wait_for(check: Callable[[], Any], *, timeout: float = 10.0, what: str = "") -> Any:
    """Poll until `check()` is truthy (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or check}")
        time.sleep(0.05)


_DOCUMENT = openapi_document(server_url="/api/v1")


def schema_errors(schema_name: str, body: Any) -> list[str]:
    """Where `body` breaks the OpenAPI document's schema `schema_name` ([] when it fits)."""
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": _DOCUMENT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
