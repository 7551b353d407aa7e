"""A single file of an image on a real registry: its page (facts, text with line numbers,
binary types), its download streamed out of its layer, and what goes wrong (deleted files,
limits, a registry that is down or slow)."""

import struct

import pytest
from django.contrib.auth.models import Group

from registries.contents.magic import file_kind
from tests.browser import PHONE, check_page, guard_third_party
from tests.contents.build import (
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    d,
    f,
    gz,
    hard,
    push_layers,
    sym,
    tar_bytes,
    whiteout,
    zst,
)

pytestmark = pytest.mark.django_db

MOTD = b"hello\n<script>alert(1)</script>\n\tindented & <b>bold</b>\nno newline at the end"
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HH", 2, 62) + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\x01" * 40
NOT_UTF8 = b"caf\xe9 au lait\n"  # Latin-1
OLD_TOOL = b"#!/bin/sh\necho old\n"
NEW_TOOL = b"#!/bin/sh\necho newer\n"
QUOTED = 'we"ird \\ name.txt'
UNICODE = "übung ✓.txt"
FIRST = [
    d("etc"),
    f("etc/motd", MOTD),
    f("etc/gone", b"deleted later"),
    f("etc/empty"),
    f("etc/long.conf", b"key=" + b"a-very-long-value," * 40 + b"\n" + b"line\n" * 300),
    d("bin"),
    f("bin/tool", ELF, mode=0o755, uid=1000, gid=50, uname="app", gname="staff"),
    f("bin/logo.png", PNG),
    f("bin/latin1", NOT_UTF8),
    d("usr"),
    d("usr/bin"),
    f("usr/bin/tool", OLD_TOOL, mode=0o755),
    hard("usr/bin/tool-link", "usr/bin/tool"),
    sym("usr/bin/t", "tool"),
    f("twice", b"first copy"),
    f("twice", b"second copy"),
    f(QUOTED, b"q"),
    f(UNICODE, b"u"),
]
SECOND = [
    whiteout("etc/gone"),
    f("usr/bin/tool", NEW_TOOL, mode=0o755),
    hard("usr/bin/motd-link", "etc/motd"),  # its target is in the layer below
]
LAYERS = [(gz(tar_bytes(FIRST)), OCI_LAYER_GZIP), (zst(tar_bytes(SECOND)), OCI_LAYER_ZSTD)]
BASE = "/registry/files/contents/file:v1/files/"


@pytest.fixture(scope="module")
def reg(registry_factory):
    reg = registry_factory()
    reg.image = push_layers(reg, "contents/file", "v1", LAYERS)
    return reg


@pytest.fixture
def row(reg, registry_row):
    return registry_row(reg, name="files")


def page(client, path: str, status: int = 200) -> str:
    response = client.get(BASE + path)
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def download(client, path: str, status: int = 200):
    response = client.get(f"{BASE}{path}?download=1")
    assert response.status_code == status, b"".join(getattr(response, "streaming_content", []))
    return response


def preview_text(html: str) -> tuple[str, str]:
    """(gutter, text) as the page holds them, still escaped."""
    gutter = html.split('<pre class="gutter" aria-hidden="true">', 1)[1].split("</pre>", 1)[0]
    text = html.split('<pre class="text"><code>', 1)[1].split("</code></pre>", 1)[0]
    return gutter, text


def blobs_read(requests) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in requests if "/blobs/" in r.path and r.method == "GET"]


def test_it_shows_a_text_file_with_line_numbers_escaped(client, row):
    html = page(client, "etc/motd")
    gutter, text = preview_text(html)
    assert gutter == "1\n2\n3\n4"
    assert text == (
        "hello\n&lt;script&gt;alert(1)&lt;/script&gt;\n\tindented &amp; &lt;b&gt;bold&lt;/b&gt;"
        "\nno newline at the end"
    )
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "<dt>Content</dt><dd>UTF-8 text</dd>" in html
    assert f'title="{len(MOTD)} bytes"' in html
    assert f'<a class="button" href="{BASE}etc/motd?download=1" download>Download</a>' in html


def test_a_script_is_text_and_says_its_interpreter(client, row):
    html = page(client, "usr/bin/tool")
    assert "<dt>Content</dt><dd>script (/bin/sh)</dd>" in html
    assert preview_text(html) == ("1\n2", "#!/bin/sh\necho newer\n")


@pytest.mark.parametrize(
    ("path", "description"),
    [
        ("bin/tool", "ELF 64-bit LSB executable, x86-64"),
        ("bin/logo.png", "PNG image"),
        ("bin/latin1", "binary data (not UTF-8 text)"),
    ],
)
def test_a_binary_file_is_described_by_its_type(client, row, path, description):
    html = page(client, path)
    assert f"<dt>Content</dt><dd>{description}</dd>" in html
    assert f"<p>A binary file, not shown: {description}, <span title=" in html
    assert '<pre class="text">' not in html


def test_an_empty_file_says_so(client, row):
    html = page(client, "etc/empty")
    assert "The file is empty." in html and "<dt>Content</dt><dd>empty</dd>" in html


def test_the_owner_mode_and_layer_are_shown(client, row):
    html = page(client, "bin/tool")
    assert "<dd><code>-rwxr-xr-x</code></dd>" in html
    assert "<dd>app:staff</dd>" in html
    assert "layer 1</a>" in html
    assert "layer 2</a>" in page(client, "usr/bin/tool")


def test_a_symlink_links_to_its_target(client, row):
    html = page(client, "usr/bin/t")
    assert f'<code class="break">tool</code> · <a class="break" href="{BASE}usr/bin/tool">' in html
    assert "Download" not in html
    download(client, "usr/bin/t", status=404)
    download(client, "usr/bin", status=404)


def test_a_download_is_the_exact_bytes_as_an_attachment(client, row):
    response = download(client, "etc/motd")
    assert b"".join(response.streaming_content) == MOTD
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="motd"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(MOTD))
    assert b"".join(download(client, "bin/tool").streaming_content) == ELF
    head = client.head(f"{BASE}etc/motd?download=1")
    assert (head.status_code, head["Content-Length"]) == (200, str(len(MOTD)))
    assert b"".join(head.streaming_content) == b""


def test_hostile_and_unicode_names_are_quoted_safely(client, row):
    quoted = download(client, "we%22ird%20%5C%20name.txt")
    assert quoted["Content-Disposition"] == 'attachment; filename="we\\"ird \\\\ name.txt"'
    assert b"".join(quoted.streaming_content) == b"q"
    unicode = download(client, "%C3%BCbung%20%E2%9C%93.txt")
    assert unicode["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%BCbung%20%E2%9C%93.txt"
    )
    assert QUOTED in page(client, "").replace("&quot;", '"').replace("&#x27;", "'")


def test_a_file_overridden_by_a_newer_layer_gives_the_newer_bytes(client, row):
    assert b"".join(download(client, "usr/bin/tool").streaming_content) == NEW_TOOL


def test_a_name_written_twice_in_one_tar_gives_the_last_copy(client, row):
    assert b"".join(download(client, "twice").streaming_content) == b"second copy"
    assert preview_text(page(client, "twice"))[1] == "second copy"


def test_a_hard_link_gives_its_targets_data(client, row):
    # The target is earlier in the same tar, though a newer layer replaced it since.
    assert b"".join(download(client, "usr/bin/tool-link").streaming_content) == OLD_TOOL
    html = page(client, "usr/bin/tool-link")
    assert preview_text(html)[1] == "#!/bin/sh\necho old\n"
    assert f'<dt>Size</dt><dd><span title="{len(OLD_TOOL)} bytes">' in html
    # The target is only in the layer below.
    assert b"".join(download(client, "usr/bin/motd-link").streaming_content) == MOTD


def test_a_deleted_file_is_404(client, row):
    page(client, "etc/gone", status=404)
    download(client, "etc/gone", status=404)
    download(client, "etc/nothing-here", status=404)


def test_a_preview_is_read_once_and_a_download_reads_only_its_layer(
    client, row, reg, registry_requests
):
    page(client, "etc/motd")
    registry_requests.clear()
    page(client, "etc/motd")
    assert blobs_read(registry_requests) == []
    download(client, "usr/bin/tool")
    assert blobs_read(registry_requests) == [reg.image.layer_digests[1]]


def test_a_long_file_shows_its_first_bytes(client, row, settings):
    settings.REGFRONT_FILE_PREVIEW_BYTES = 10
    html = page(client, "etc/motd")
    assert preview_text(html) == ("1\n2", "hello\n&lt;scr")
    assert 'The first <span title="10 bytes">10\xa0bytes</span> of <span title="77 bytes">' in html
    assert b"".join(download(client, "etc/motd").streaming_content) == MOTD  # all of it


def test_a_cut_multibyte_character_is_still_text():
    text = "naïve".encode()
    assert file_kind(text[:3], complete=False).text == "na"
    assert file_kind(text[:3], complete=True).text is None


def test_a_layer_limit_says_which(client, row, settings):
    page(client, "")  # listed within the limits
    settings.REGFRONT_MAX_LAYER_UNPACKED_BYTES = 2048
    html = page(client, "bin/latin1")
    assert "The file cannot be read out of its layer: The layer unpacks to more than 2,048" in html
    assert "(limit: <code>REGFRONT_MAX_LAYER_UNPACKED_BYTES</code>)" in html
    response = download(client, "bin/latin1", status=502)
    assert "(limit: REGFRONT_MAX_LAYER_UNPACKED_BYTES)" in response.content.decode()


def test_a_registry_that_is_down_gives_502_naming_it(client, row, reg, closed_port_url):
    page(client, "")  # listed while the registry is up
    by_digest = f"/registry/files/contents/file@{reg.image.digest}/files/etc/motd"
    row.url = closed_port_url
    row.save()
    for url in (by_digest, f"{by_digest}?download=1"):
        response = client.get(url)
        assert response.status_code == 502
        html = response.content.decode()
        assert "The registry cannot be reached" in html
        assert "Registry <strong>files</strong>" in html


def test_a_registry_that_hangs_gives_504(client, row, reg, silent_server, settings):
    page(client, "")
    settings.REGFRONT_READ_TIMEOUT = 0.5
    row.url = silent_server
    row.save()
    url = f"/registry/files/contents/file@{reg.image.digest}/files/etc/motd?download=1"
    response = client.get(url)
    assert response.status_code == 504
    assert "The registry is too slow" in response.content.decode()


def test_a_group_limited_registry_never_leaks_a_file(client, row, persona):
    page(client, "")
    row.groups.add(Group.objects.create(name="ops"))
    persona("pat")
    page(client, "etc/motd", status=404)
    download(client, "etc/motd", status=404)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["wide", "phone"])
def test_file_pages_are_accessible_and_fit_a_phone(
    browser, live_server, reg, registry_row, viewport
):
    registry_row(reg, name="files")
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport).new_page()
    guard_third_party(page, offenders)
    label = "phone" if viewport is PHONE else "wide"
    for path, name in (("etc/long.conf", "text"), ("bin/tool", "binary")):
        page.goto(f"{live_server.url}{BASE}{path}")
        assert page.get_by_role("link", name="Download").is_visible()
        check_page(page, f"file-{name}-{label}")
    page.goto(f"{live_server.url}{BASE}etc/long.conf")
    region = page.get_by_role("region", name="Text of /etc/long.conf")
    assert region.inner_text().startswith("1\n2\n3")  # the gutter, then the text
    assert offenders == []
