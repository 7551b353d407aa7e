"""The merged tree: layers applied in order, whiteouts and opaque directories as the image
spec says, and exactly what each layer added, changed and removed."""

from registries.contents.layers import Entry
from registries.contents.tree import LayerChanges, merge, mode_string


def e(path: str, kind: str = "file", *, size: int = 0, mode: int = 0o644, link: str = "", uid=0):
    if kind == "dir" and mode == 0o644:
        mode = 0o755
    return Entry(path, kind, size, mode, uid, uid, "root" if uid == 0 else "", "", link)


def paths(tree) -> list[str]:
    return sorted(p for p in tree.nodes if p)


def test_it_applies_layers_in_order_with_implied_directories():
    tree = merge([[e("etc", "dir"), e("etc/hosts", size=3)], [e("usr/bin/sh", size=9)]])
    assert paths(tree) == ["etc", "etc/hosts", "usr", "usr/bin", "usr/bin/sh"]
    assert tree.nodes["usr"].entry is None  # implied by usr/bin/sh: no tar entry of its own
    assert tree.nodes["usr/bin/sh"].layer == 1
    assert tree.changes == [
        LayerChanges(added=["etc", "etc/hosts"], changed=[], removed=[]),
        LayerChanges(added=["usr", "usr/bin", "usr/bin/sh"], changed=[], removed=[]),
    ]
    assert [name for name, _, _ in tree.listing("")] == ["etc", "usr"]


def test_a_file_in_an_upper_layer_changes_it_and_takes_its_metadata():
    tree = merge([[e("a", size=1)], [e("a", size=5, mode=0o755)]])
    assert tree.nodes["a"].entry.size == 5
    assert tree.nodes["a"].layer == 1
    assert tree.changes[1] == LayerChanges(added=[], changed=["a"], removed=[])


def test_a_directory_listed_again_with_the_same_metadata_is_not_a_change():
    tree = merge([[e("etc", "dir"), e("etc/a")], [e("etc", "dir"), e("etc/b")]])
    assert tree.changes[1] == LayerChanges(added=["etc/b"], changed=[], removed=[])
    assert tree.nodes["etc"].layer == 0
    assert paths(tree) == ["etc", "etc/a", "etc/b"]


def test_a_directory_with_new_mode_is_changed_and_keeps_its_children():
    tree = merge([[e("etc", "dir"), e("etc/a")], [e("etc", "dir", mode=0o700)]])
    assert tree.changes[1] == LayerChanges(added=[], changed=["etc"], removed=[])
    assert paths(tree) == ["etc", "etc/a"]
    assert tree.nodes["etc"].layer == 1


def test_a_whiteout_removes_a_file_and_is_not_shown():
    tree = merge([[e("etc", "dir"), e("etc/a"), e("etc/b")], [e("etc/.wh.a")]])
    assert paths(tree) == ["etc", "etc/b"]
    assert tree.changes[1] == LayerChanges(added=[], changed=[], removed=["etc/a"])


def test_a_whiteout_removes_a_directory_with_everything_below_it():
    lower = [e("opt", "dir"), e("opt/app", "dir"), e("opt/app/x"), e("opt/app/sub/y")]
    tree = merge([lower, [e("opt/.wh.app")]])
    assert paths(tree) == ["opt"]
    assert tree.changes[1].removed == ["opt/app", "opt/app/sub", "opt/app/sub/y", "opt/app/x"]


def test_a_whiteout_applies_to_lower_layers_only_whatever_the_tar_order():
    # The same layer re-creates what it whites out: the new file stays, as a change.
    for upper in ([e("a", size=2), e(".wh.a")], [e(".wh.a"), e("a", size=2)]):
        tree = merge([[e("a", size=1)], upper])
        assert tree.nodes["a"].entry.size == 2
        assert tree.changes[1] == LayerChanges(added=[], changed=["a"], removed=[])


def test_a_whiteout_of_nothing_does_nothing():
    tree = merge([[e("a")], [e(".wh.missing"), e("dir/.wh.none")]])
    assert paths(tree) == ["a", "dir"]
    assert tree.changes[1] == LayerChanges(added=["dir"], changed=[], removed=[])


def test_an_opaque_directory_hides_what_lower_layers_put_in_it():
    lower = [e("var", "dir"), e("var/cache", "dir"), e("var/cache/old"), e("var/log")]
    upper = [e("var/cache", "dir"), e("var/cache/new"), e("var/cache/.wh..wh..opq")]
    tree = merge([lower, upper])
    assert paths(tree) == ["var", "var/cache", "var/cache/new", "var/log"]
    assert tree.changes[1] == LayerChanges(
        added=["var/cache/new"], changed=[], removed=["var/cache/old"]
    )


def test_an_opaque_marker_before_its_layers_entries_keeps_them():
    lower = [e("d", "dir"), e("d/old")]
    upper = [e("d/.wh..wh..opq"), e("d/new")]
    tree = merge([lower, upper])
    assert paths(tree) == ["d", "d/new"]
    assert tree.changes[1] == LayerChanges(added=["d/new"], changed=[], removed=["d/old"])


def test_an_opaque_root_clears_the_whole_lower_tree():
    tree = merge([[e("a"), e("b/c")], [e(".wh..wh..opq"), e("z")]])
    assert paths(tree) == ["z"]
    assert tree.changes[1].removed == ["a", "b", "b/c"]


def test_a_file_replacing_a_directory_removes_its_children():
    tree = merge([[e("x", "dir"), e("x/1"), e("x/2")], [e("x", size=4)]])
    assert paths(tree) == ["x"]
    assert tree.nodes["x"].kind == "file"
    assert tree.changes[1] == LayerChanges(added=[], changed=["x"], removed=["x/1", "x/2"])


def test_a_directory_replacing_a_symlink_becomes_a_directory():
    tree = merge([[e("lib", "symlink", link="usr/lib")], [e("lib/libc.so", size=7)]])
    assert tree.nodes["lib"].kind == "dir"
    assert paths(tree) == ["lib", "lib/libc.so"]
    assert tree.changes[1] == LayerChanges(added=["lib/libc.so"], changed=["lib"], removed=[])


def test_symlinks_are_shown_never_followed():
    tree = merge([[e("bin", "symlink", link="/usr/bin"), e("usr/bin/ls", size=3)]])
    assert tree.nodes["bin"].entry.link == "/usr/bin"
    assert tree.listing("bin") == []  # a link is not a directory to list


def test_a_hard_link_takes_its_targets_size():
    tree = merge(
        [[e("usr/bin/python3", size=100), e("usr/bin/python", "hardlink", link="usr/bin/python3")]]
    )
    node = tree.nodes["usr/bin/python"]
    assert node.kind == "hardlink"
    assert tree.size_of(node) == 100
    assert tree.size_of(merge([[e("h", "hardlink", link="gone")]]).nodes["h"]) == 0


def test_aufs_metadata_is_not_part_of_the_image():
    tree = merge([[e(".wh..wh.plnk", "dir"), e(".wh..wh.aufs"), e("a")]])
    assert paths(tree) == ["a"]


def test_a_path_twice_in_one_layer_keeps_the_last_and_counts_once():
    tree = merge([[e("a", size=1), e("a", size=2)]])
    assert tree.nodes["a"].entry.size == 2
    assert tree.changes[0] == LayerChanges(added=["a"], changed=[], removed=[])


def test_removed_then_readded_directory_in_a_later_layer():
    tree = merge([[e("d/a")], [e(".wh.d")], [e("d/b")]])
    assert paths(tree) == ["d", "d/b"]
    assert tree.changes[1].removed == ["d", "d/a"]
    assert tree.changes[2] == LayerChanges(added=["d", "d/b"], changed=[], removed=[])


def test_mode_strings_read_as_ls_shows_them():
    assert mode_string("dir", 0o755) == "drwxr-xr-x"
    assert mode_string("file", 0o4755) == "-rwsr-xr-x"
    assert mode_string("symlink", 0o777) == "lrwxrwxrwx"
    assert mode_string("dir", 0o1777) == "drwxrwxrwt"
    assert mode_string("hardlink", 0o644) == "-rw-r--r--"
    assert mode_string("other", 0o644) == "?rw-r--r--"
