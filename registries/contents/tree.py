"""The image's filesystem: its layers applied in order, and what each layer changed.

Whiteouts as the image spec defines them:
https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
`.wh.<name>` hides `<name>` of lower layers, `.wh..wh..opq` hides everything lower layers
put in its directory; neither touches entries of its own layer, whatever their order.
Plain Python: no Django, no I/O.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from registries.contents.layers import Entry

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
AUFS_META = ".wh..wh."  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs), not image files
TYPE_BITS = {"dir": stat.S_IFDIR, "symlink": stat.S_IFLNK, "file": stat.S_IFREG}
TYPE_BITS["hardlink"] = stat.S_IFREG  # a hard link is another name of a regular file


@dataclass(slots=True)
class Node:
    entry: Entry | None  # None: a directory only implied by the paths below it
    layer: int  # the layer that last touched it (-1: the root)

    @property
    def kind(self) -> str:
        return self.entry.kind if self.entry else "dir"


@dataclass
class LayerChanges:
    added: list[str]
    changed: list[str]
    removed: list[str]


@dataclass
class _Pending:
    """One layer's changes while it is applied; dicts keep the order and test membership."""

    added: dict[str, None] = field(default_factory=dict)
    changed: dict[str, None] = field(default_factory=dict)
    removed: dict[str, None] = field(default_factory=dict)

    def appeared(self, path: str) -> None:
        if path in self.removed:
            del self.removed[path]
            self.changed[path] = None  # lower layers had it: this layer replaced it
        elif path not in self.changed:
            self.added[path] = None

    def vanished(self, path: str) -> None:
        if path in self.added:
            del self.added[path]  # came and went within this layer
        else:
            self.changed.pop(path, None)
            self.removed[path] = None

    def result(self) -> LayerChanges:
        return LayerChanges(sorted(self.added), sorted(self.changed), sorted(self.removed))


@dataclass
class Tree:
    nodes: dict[str, Node] = field(default_factory=lambda: {"": Node(None, -1)})
    children: dict[str, set[str]] = field(default_factory=lambda: {"": set()})
    changes: list[LayerChanges] = field(default_factory=list)

    def listing(self, directory: str) -> list[tuple[str, str, Node]]:
        """(name, path, node) of a directory's children, by name."""
        paths = sorted(self.children.get(directory, ()))
        return [(p.rpartition("/")[2], p, self.nodes[p]) for p in paths]

    def size_of(self, node: Node) -> int:
        """A file's size; a hard link's is its target's (the tar stores it once)."""
        entry = node.entry
        if entry is None:
            return 0
        if entry.kind == "hardlink":
            target = self.nodes.get(entry.link)
            return target.entry.size if target and target.entry else 0
        return entry.size

    # -- applying a layer ------------------------------------------------------------------

    def apply(self, index: int, entries: Sequence[Entry]) -> LayerChanges:
        pending = _Pending()
        opaque: list[str] = []
        hidden: list[str] = []
        own: list[Entry] = []
        for entry in entries:
            parent, _, name = entry.path.rpartition("/")
            if name == OPAQUE:
                opaque.append(parent)
            elif name.startswith(AUFS_META):
                continue
            elif name.startswith(WHITEOUT):
                if name != WHITEOUT:
                    hidden.append(_join(parent, name[len(WHITEOUT) :]))
            else:
                own.append(entry)
        # Whiteouts first: they apply to lower layers only, so this layer's entries survive.
        # Their directory exists in this layer, as appliers (containerd's) create it.
        for directory in opaque:
            self._ensure_directory(directory, index, pending)
            for child in list(self.children[directory]):
                self._remove(child, pending)
        for path in hidden:
            self._ensure_directory(path.rpartition("/")[0], index, pending)
            if path in self.nodes:
                self._remove(path, pending)
        for entry in own:
            self._put(entry, index, pending)
        return pending.result()

    def _put(self, entry: Entry, index: int, pending: _Pending) -> None:
        parent = entry.path.rpartition("/")[0]
        self._ensure_directory(parent, index, pending)
        old = self.nodes.get(entry.path)
        if old is not None:
            if old.kind == "dir" and entry.kind == "dir":
                if old.entry is None or _owner_mode(old.entry) != _owner_mode(entry):
                    old.entry, old.layer = entry, index
                    if entry.path not in pending.added:
                        pending.changed[entry.path] = None
                return  # a directory stays a directory: what is below it stays too
            self._remove(entry.path, pending)
        self._add(entry.path, Node(entry, index), pending)

    def _ensure_directory(self, path: str, index: int, pending: _Pending) -> None:
        """Make `path` and its parents directories (implied ones when the tar has none)."""
        if path == "":
            return
        node = self.nodes.get(path)
        if node is not None and node.kind == "dir":
            return
        self._ensure_directory(path.rpartition("/")[0], index, pending)
        if node is not None:
            self._remove(path, pending)  # a file or link where a directory must be
        self._add(path, Node(None, index), pending)

    def _add(self, path: str, node: Node, pending: _Pending) -> None:
        self.nodes[path] = node
        self.children[path.rpartition("/")[0]].add(path)
        if node.kind == "dir":
            self.children[path] = set()
        pending.appeared(path)

    def _remove(self, path: str, pending: _Pending) -> None:
        self.children[path.rpartition("/")[0]].discard(path)
        stack = [path]
        while stack:
            current = stack.pop()
            del self.nodes[current]
            stack.extend(self.children.pop(current, ()))
            pending.vanished(current)


def merge(layers: Sequence[Sequence[Entry]]) -> Tree:
    """Apply the layers bottom first; ``tree.changes[i]`` is what layer i did."""
    tree = Tree()
    for index, entries in enumerate(layers):
        tree.changes.append(tree.apply(index, entries))
    return tree


def mode_string(kind: str, mode: int) -> str:
    """`drwxr-xr-x`, as ls shows it (`?` first for devices and fifos)."""
    return stat.filemode(TYPE_BITS.get(kind, 0) | mode)


def _owner_mode(entry: Entry) -> tuple[int, int, int, str, str]:
    return entry.mode, entry.uid, entry.gid, entry.uname, entry.gname


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name
