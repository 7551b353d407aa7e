"""What a notification looks like on the wire: the generic webhook's signed JSON, and the
`{"text": ...}` of Slack and Mattermost incoming webhooks."""

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Regfront-Signature"
EVENT_HEADER = "X-Regfront-Event"
DELIVERY_HEADER = "X-Regfront-Delivery"


def webhook_body(*, delivery_id: int, payload: dict[str, Any]) -> bytes:
    """The JSON the webhook receives: the stored payload plus the delivery's id (the same
    on every attempt, so a receiver can drop repeats)."""
    return json.dumps({"id": delivery_id, **payload}, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes, keyed with the endpoint's secret
    (GitHub's X-Hub-Signature-256 scheme)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _escape(text: object) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting);
    registry names and tags come from whoever pushed."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(digest: str) -> str:
    return digest[:19] if digest.startswith("sha256:") else digest


def _image(data: dict[str, Any]) -> str:
    where = data.get("repository", "")
    if data.get("tag"):
        return f"{where}:{data['tag']}"
    return f"{where}@{_short(data.get('digest', ''))}" if data.get("digest") else where


def text_for(payload: dict[str, Any]) -> str:
    """One line for people: who did what to which image on which registry."""
    event, data = payload.get("event"), payload.get("data") or {}
    registry = payload.get("registry", "")
    by = f" by {data['actor']}" if data.get("actor") else ""
    if event == "push":
        line = f"{_image(data)} pushed to {registry}{by} ({_short(data.get('digest', ''))})"
    elif event == "delete":
        line = f"{_image(data)} deleted from {registry}{by}"
    elif event == "retention":
        line = (
            f"Retention run {data.get('run')} of {data.get('policy')} on {registry} "
            f"{data.get('state')}: {data.get('deleted', 0)} deleted, "
            f"{data.get('skipped', 0)} skipped, {data.get('errors', 0)} errors"
        )
        if data.get("message"):
            line += f" ({data['message']})"
    elif event == "promotion":
        source = data.get("source") or {}
        origin = f"{source.get('registry', '')}/{_image(source)}"
        line = f"{origin} promoted to {registry}/{_image(data)}{by}"
    else:
        asked = f" (sent by {data['requested_by']})" if data.get("requested_by") else ""
        line = f"Test notification for {registry}{asked}"
    return "regfront: " + _escape(line)


def slack_body(*, payload: dict[str, Any]) -> bytes:
    return json.dumps({"text": text_for(payload)}).encode()
