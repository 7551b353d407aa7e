"""Two images side by side: their configs, layers, history and merged filesystems.

Plain Python over parsed configs, descriptors and the merged trees the Files page builds
(registries/contents/tree.py): no Django, no I/O, so every difference is testable alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registries.client.models import Descriptor, HistoryEntry, ImageConfig
from registries.contents.tree import Node, Tree, mode_string

DEFAULT_PLATFORM = "linux/amd64"
DATA_KINDS = ("file", "hardlink")


# -- platforms ---------------------------------------------------------------------------------


def platform_choice(a: Sequence[str], b: Sequence[str], *, wanted: str = "") -> str | None:
    """The platform to compare: the one asked for when both have it, else linux/amd64 when
    both have it, else the only one they share; None means ask (or nothing is shared)."""
    common = [p for p in a if p in b]
    if wanted:
        return wanted if wanted in common else None
    if DEFAULT_PLATFORM in common:
        return DEFAULT_PLATFORM
    return common[0] if len(common) == 1 else None


def common_platforms(a: Sequence[str], b: Sequence[str]) -> list[str]:
    return [p for p in a if p in b]


# -- config ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigRow:
    field: str  # "User", "Env PATH", "Label org.opencontainers.image.version"…
    a: str | None  # None: that image does not set it
    b: str | None

    @property
    def differs(self) -> bool:
        return self.a != self.b


def _joined(values: Sequence[str]) -> str | None:
    return " ".join(values) if values else None


def _env(config: ImageConfig | None) -> dict[str, str]:
    pairs = (item.partition("=") for item in (config.env if config else ()))
    return {name: value for name, _, value in pairs}


def config_rows(a: ImageConfig | None, b: ImageConfig | None) -> list[ConfigRow]:
    """The runtime config field by field, env variables and labels one row per name."""

    def scalar(get) -> tuple[str | None, str | None]:
        return (get(a) or None) if a else None, (get(b) or None) if b else None

    rows = [
        ConfigRow("Entrypoint", *scalar(lambda c: _joined(c.entrypoint))),
        ConfigRow("Cmd", *scalar(lambda c: _joined(c.cmd))),
        ConfigRow("User", *scalar(lambda c: c.user)),
        ConfigRow("Working dir", *scalar(lambda c: c.working_dir)),
        ConfigRow("Exposed ports", *scalar(lambda c: ", ".join(c.exposed_ports))),
        ConfigRow("Volumes", *scalar(lambda c: ", ".join(c.volumes))),
        ConfigRow("Platform", *scalar(lambda c: c.platform)),
    ]
    env_a, env_b = _env(a), _env(b)
    rows += [ConfigRow(f"Env {n}", env_a.get(n), env_b.get(n)) for n in _names(env_a, env_b)]
    labels_a, labels_b = (a.labels if a else {}), (b.labels if b else {})
    rows += [
        ConfigRow(f"Label {n}", labels_a.get(n), labels_b.get(n))
        for n in _names(labels_a, labels_b)
    ]
    return rows


def _names(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(a.keys() | b.keys())


# -- layers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerRow:
    digest: str
    size: int
    a: int | None  # its number (from 1) in image a; None: not there
    b: int | None

    @property
    def change(self) -> str:
        return "shared" if self.a and self.b else "removed" if self.a else "added"


@dataclass(frozen=True)
class LayersDiff:
    rows: list[LayerRow]

    def of(self, change: str) -> list[LayerRow]:
        return [row for row in self.rows if row.change == change]

    def size(self, change: str) -> int:
        return sum(row.size for row in self.of(change))


def layers_diff(a: Sequence[Descriptor], b: Sequence[Descriptor]) -> LayersDiff:
    """By digest: a's layers in order (shared or removed), then the layers only b has."""
    in_a = {layer.digest: n for n, layer in enumerate(a, 1)}
    in_b = {layer.digest: n for n, layer in enumerate(b, 1)}
    rows = [
        LayerRow(layer.digest, layer.size, in_a[layer.digest], in_b.get(layer.digest))
        for layer in a
    ]
    seen = set(in_a)
    for layer in b:
        if layer.digest not in seen:
            seen.add(layer.digest)
            rows.append(LayerRow(layer.digest, layer.size, None, in_b[layer.digest]))
    return LayersDiff(_first_each(rows))


def _first_each(rows: list[LayerRow]) -> list[LayerRow]:
    """A layer repeated in one image (an empty tar twice) is one row."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        if row.digest not in seen:
            seen.add(row.digest)
            kept.append(row)
    return kept


# -- history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    a: HistoryEntry | None
    b: HistoryEntry | None

    @property
    def differs(self) -> bool:
        return (self.a.created_by if self.a else None) != (self.b.created_by if self.b else None)


def history_rows(a: ImageConfig | None, b: ImageConfig | None) -> list[HistoryRow]:
    """Step by step; the steps of a shared base line up, so the first differing one shows
    where the builds part."""
    steps_a, steps_b = (a.history if a else ()), (b.history if b else ())
    return [
        HistoryRow(
            steps_a[i] if i < len(steps_a) else None, steps_b[i] if i < len(steps_b) else None
        )
        for i in range(max(len(steps_a), len(steps_b)))
    ]


# -- files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    kind: str
    size: int | None  # files and hard links only
    mode: str  # as ls shows it
    owner: str  # user:group (names, else ids)
    link: str


@dataclass(frozen=True)
class FileChange:
    path: str
    change: str  # added, removed, changed
    a: FileFacts | None
    b: FileFacts | None
    what: tuple[str, ...] = ()  # for changed: kind, size, mode, owner, link


@dataclass(frozen=True)
class FilesDiff:
    changes: list[FileChange]  # by path

    def of(self, change: str) -> list[FileChange]:
        return [c for c in self.changes if c.change == change]

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            counts[c.change] += 1
        return counts

    def matching(self, query: str, change: str = "") -> list[FileChange]:
        """The `?q=` filter (part of the path, any case) and the `?change=` one."""
        needle = query.lower()
        return [
            c
            for c in self.changes
            if (not needle or needle in c.path.lower()) and (not change or c.change == change)
        ]


def facts(tree: Tree, node: Node) -> FileFacts:
    entry = node.entry
    return FileFacts(
        kind=node.kind,
        size=tree.size_of(node) if node.kind in DATA_KINDS else None,
        mode=mode_string(node.kind, entry.mode) if entry else "d?????????",
        owner=f"{entry.uname or entry.uid}:{entry.gname or entry.gid}" if entry else "",
        link=entry.link if entry else "",
    )


def _what_changed(a: FileFacts, b: FileFacts, node_a: Node, node_b: Node) -> tuple[str, ...]:
    what = [
        name
        for name in ("kind", "size", "mode", "owner", "link")
        if getattr(a, name) != getattr(b, name)
    ]
    # A directory only implied by paths below it has no mode or owner to compare.
    if a.kind == b.kind == "dir" and (node_a.entry is None or node_b.entry is None):
        return ()
    return tuple(what)


def files_diff(a: Tree, b: Tree) -> FilesDiff:
    """Every path that b added, removed or changed against a (the root aside).

    Same name, kind, size, mode, owner and link counts as unchanged: listings hold no
    content hashes, so a same-sized edit is not seen (a layer's digest still tells).
    """
    changes = []
    for path in sorted(a.nodes.keys() | b.nodes.keys()):
        if not path:
            continue
        node_a, node_b = a.nodes.get(path), b.nodes.get(path)
        if node_a is None:
            changes.append(FileChange(path, "added", None, facts(b, node_b)))
        elif node_b is None:
            changes.append(FileChange(path, "removed", facts(a, node_a), None))
        else:
            facts_a, facts_b = facts(a, node_a), facts(b, node_b)
            what = _what_changed(facts_a, facts_b, node_a, node_b)
            if what:
                changes.append(FileChange(path, "changed", facts_a, facts_b, what))
    return FilesDiff(changes)


def previous_version(tags: Sequence[str], tag: str) -> str | None:
    """The tag before `tag` in `tags` (naturally sorted: 1.2 before 1.10), counting only tags
    that hold a digit: `latest` or `main` are no versions, and have none before them."""
    versions = [t for t in tags if any(c.isdigit() for c in t)]
    if tag not in versions:
        return None
    at = versions.index(tag)
    return versions[at - 1] if at else None
