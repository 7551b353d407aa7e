"""Is a registry up? Pinged concurrently, with a deadline, and cached for a few seconds."""

import logging
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace

from django.conf import settings

from registries.client import errors
from registries.client.api import RegistryClient
from registries.models import Registry
from registries.services.cache import (
    get_or_compute,
    make_key,
    peek,
)
from registries.services.clients import build_client, client_for, limits_from_settings, submit

logger = logging.getLogger("regfront.status")

STATE_LABELS = {
    "online": "Online",
    "unauthorized": "Credentials rejected",
    "unreachable": "Unreachable",
    "slow": "Slow to answer",
}


@dataclass(frozen=True)
class RegistryStatus:
    state: str  # "online", "unauthorized", "unreachable", "slow" or "error"
    message: str
    auth_mode: str | None = None
    api_version: str | None = None

    @property
    def label(self) -> str:
        """What pages call the state."""
        return STATE_LABELS.get(self.state, "Error")


# What the page says when checking failed in regfront itself; the log has the details.
BROKEN = RegistryStatus("error", "regfront could not check this registry (see the server log).")


def _status_of(client: RegistryClient) -> RegistryStatus:
    try:
        ping = client.ping()
    except errors.Unauthorized as exc:
        return RegistryStatus("unauthorized", exc.user_message)
    except (errors.Unreachable, errors.Timeout, errors.TLSError, errors.Refused) as exc:
        return RegistryStatus("unreachable", exc.user_message)
    except errors.RegistryError as exc:
        return RegistryStatus("error", exc.user_message)
    except Exception:
        # One registry answering something the client did not foresee must show as broken,
        # not take the home page (and /api/v1/registries) down for everyone.
        logger.exception("checking registry %s failed", client.name)
        return BROKEN
    return RegistryStatus("online", "Online", ping.auth_mode, ping.api_version)


TEST_CONNECTION_TIMEOUT = 5.0  # seconds: the person is waiting on the form


def registry_test_connection(*, registry: Registry) -> RegistryStatus:
    """Check a (possibly unsaved) registry now, uncached, within TEST_CONNECTION_TIMEOUT:
    "test connection" on the registry form."""
    limits = limits_from_settings()
    limits = replace(
        limits,
        connect_timeout=min(limits.connect_timeout, TEST_CONNECTION_TIMEOUT),
        read_timeout=min(limits.read_timeout, TEST_CONNECTION_TIMEOUT),
        deadline=TEST_CONNECTION_TIMEOUT,
    )
    with build_client(registry, limits=limits) as client:
        return _status_of(client)


def registries_status(*, registries: list[Registry]) -> dict[int, RegistryStatus]:
    """Status of every registry, checked concurrently; one dead registry never slows the page.

    Checks still running at the deadline are reported "slow" and finish in the background,
    caching their answer for the next page view.
    """
    statuses: dict[int, RegistryStatus] = {}
    pending = {}
    for registry in registries:
        key = make_key("status", registry.pk, registry.url)
        cached = peek(key)
        if cached is not None:
            statuses[registry.pk] = cached
            continue
        try:
            client = client_for(registry)
        except Exception:  # e.g. a row whose URL or CA bundle the client cannot use
            logger.exception("no client for registry %s", registry.name)
            statuses[registry.pk] = BROKEN
            continue
        pending[registry.pk] = submit(
            lambda key=key, client=client: get_or_compute(key, lambda: _status_of(client))
        )
    wait(pending.values(), timeout=settings.REGFRONT_STATUS_DEADLINE)
    for pk, future in pending.items():
        statuses[pk] = _outcome(future)
    return statuses


def _outcome(future: Future) -> RegistryStatus:
    if not future.done():
        return RegistryStatus("slow", "The registry did not answer within the page deadline.")
    try:
        return future.result()
    except Exception:  # what _status_of cannot catch (a failing cache): this row only
        logger.exception("checking a registry failed")
        return BROKEN
