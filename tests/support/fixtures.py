"""pytest plugin: real registries (distribution 2.8) filled with the standard dataset.

Load with `pytest_plugins = ["tests.support.fixtures"]`. Registries start lazily, once per
session, the first time a test asks for one, and stop at session end.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.images import PushedImage, push_image, push_standard_dataset
from tests.support.registry_server import Auth, RunningRegistry, start_registry
from tests.support.token_server import GrantPolicy, TokenServer

ALICE = ("alice", "wonderland-s3cret")
USERS = {ALICE[0]: ALICE[1]}


class _Stack:
    """Things to stop at session end, newest first."""

    def __init__(self) -> None:
        self._stoppers: list[Callable[[], None]] = []

    def push(self, stop: Callable[[], None]) -> None:
        self._stoppers.append(stop)

    def close(self) -> None:
        while self._stoppers:
            self._stoppers.pop()()


@pytest.fixture(scope="session")
def _registry_stack() -> Iterator[_Stack]:
    stack = _Stack()
    yield stack
    stack.close()


def _start(
    tmp: Path,
    stack: _Stack,
    *,
    dataset: str | None,
    **kwargs: Any,
) -> RunningRegistry:
    reg = start_registry(tmp, **kwargs)
    stack.push(reg.stop)
    if dataset is not None:
        reg.dataset = push_standard_dataset(reg, small=dataset == "small")
    return reg


@pytest.fixture(scope="session")
def registry_open(
    tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack
) -> RunningRegistry:
    """No auth, deletion on, standard dataset."""
    tmp = tmp_path_factory.mktemp("registry-open")
    return _start(tmp, _registry_stack, dataset="full")


@pytest.fixture(scope="session")
def registry_basic(
    tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack
) -> RunningRegistry:
    """htpasswd user alice / wonderland-s3cret, deletion on, standard dataset."""
    tmp = tmp_path_factory.mktemp("registry-basic")
    return _start(tmp, _registry_stack, dataset="full", auth="basic", users=USERS)


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack) -> TokenServer:
    """The token server behind `registry_token` (user alice)."""
    server = TokenServer(tmp_path_factory.mktemp("token-server"), users=USERS).start()
    _registry_stack.push(server.stop)
    return server


@pytest.fixture(scope="session")
def registry_token(
    tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack, token_server: TokenServer
) -> RunningRegistry:
    """Bearer tokens from `token_server`, deletion on, standard dataset."""
    tmp = tmp_path_factory.mktemp("registry-token")
    return _start(tmp, _registry_stack, dataset="full", auth="token", token_server=token_server)


@pytest.fixture(scope="session")
def registry_nodelete(
    tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack
) -> RunningRegistry:
    """No auth, deletion OFF (DELETE is a 405 UNSUPPORTED), only the `app` repository."""
    tmp = tmp_path_factory.mktemp("registry-nodelete")
    return _start(tmp, _registry_stack, dataset="small", delete_enabled=False)


MakeRegistry = Callable[..., RunningRegistry]


@pytest.fixture(scope="session")
def registry_factory(
    tmp_path_factory: pytest.TempPathFactory, _registry_stack: _Stack
) -> MakeRegistry:
    """`make(auth=, delete_enabled=, grants=, notifications=, users=, dataset=)` for tests
    needing a special registry; with auth="token" a new TokenServer (using `grants`) is
    started and reachable as `reg.token_server`. `dataset` is None, "small" or "full".
    """

    def make(
        *,
        auth: Auth = "none",
        delete_enabled: bool = True,
        grants: GrantPolicy | None = None,
        notifications: list[dict[str, Any]] | None = None,
        users: dict[str, str] | None = None,
        dataset: str | None = None,
    ) -> RunningRegistry:
        users = users if users is not None else USERS
        tmp = tmp_path_factory.mktemp(f"registry-{auth}")
        server = None
        if auth == "token":
            server = TokenServer(tmp / "token", users=users, grants=grants).start()
            _registry_stack.push(server.stop)
        return _start(
            tmp,
            _registry_stack,
            dataset=dataset,
            auth=auth,
            delete_enabled=delete_enabled,
            token_server=server,
            users=users,
            notifications=notifications,
        )

    return make


_counter = itertools.count()


@pytest.fixture
def unique_repo_name() -> Callable[[str], str]:
    """`unique_repo_name("prefix")` -> "prefix/<unique>": a repository no other test uses."""

    def make(prefix: str = "fresh") -> str:
        return f"{prefix}/t{next(_counter):04d}-{uuid.uuid4().hex[:8]}"

    return make


@dataclass
class FreshRepo:
    name: str
    image: PushedImage


@pytest.fixture
def fresh_repo(unique_repo_name: Callable[[str], str]) -> Callable[..., FreshRepo]:
    """`fresh_repo(reg, tag="v1", prefix="fresh", **push_image_kwargs)`: push one image to a
    new repository, for tests that delete or otherwise change what they touch."""

    def make(
        reg: RunningRegistry, *, tag: str = "v1", prefix: str = "fresh", **kwargs: Any
    ) -> FreshRepo:
        name = unique_repo_name(prefix)
        return FreshRepo(name=name, image=push_image(reg, name, tag, **kwargs))

    return make
