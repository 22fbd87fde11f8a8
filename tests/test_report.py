"""`ptm-miner report`: the numbers, the page, and the page as a browser draws it.

The browser test renders the report in headless Chromium (Debian's `chromium`;
`.ci/run` installs it in CI) and checks that the charts drew: the DOM Chromium
built has the SVG bars, and its screenshot has bar-coloured pixels. Without
Chromium it is skipped, with the reason.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from miner.cli import EXIT_OK, EXIT_SOME_FAILED, main
from miner.export.load import read_mined
from miner.report import compute
from tests.test_export_world import World, build_world, make_git_repo

BAR_RGB = (0x35, 0x66, 0xA8)  # --bar in the report's CSS
ALT_RGB = (0xC0, 0x57, 0x3A)  # --bar2


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


def test_numbers(world: World) -> None:
    s = compute(read_mined(world.out))
    assert (s.repos_listed, s.repos_ok, s.repos_failed, s.repos_with_models) == (2, 2, 0, 2)
    assert (s.usages, s.usages_resolved, s.models, s.pairs) == (10, 9, 7, 8)
    assert s.top_models[0] == ("huggingface", "bert-base-uncased", 2, 2)
    assert dict(s.hubs) == {"huggingface": 6, "torch_hub": 1}
    assert dict(s.repo_types) == {"model": 6, "dataset": 1}
    assert dict(s.libraries)["transformers"] == 5
    assert dict(s.resolutions) == {"literal": 7, "constant": 1, "env_default": 1, "local_path": 1}
    assert s.non_literal == 2
    assert s.outcomes == (("resolved to an id", 9), ("local path", 1), ("unresolved", 0))
    assert s.pinned == (("pinned", 2), ("unpinned", 7))
    assert s.trust == (("true", 1), ("false", 0), ("unset", 8))
    assert dict(s.file_formats) == {"pickle": 1, "safe": 1}
    assert s.pickle_files == (("pytorch_model.bin", 1),)
    assert s.known == ()  # mined without --known-models


def test_failed_repositories_are_counted(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    listing = tmp_path / "list2.txt"
    listing.write_text("app\n./missing\napp\n")
    out = tmp_path / "out2"
    assert main(["mine", "--repos", str(listing), "--out", str(out), "--jobs", "1"]) == EXIT_SOME_FAILED
    s = compute(read_mined(out))
    assert (s.repos_listed, s.repos_ok, s.repos_failed) == (2, 1, 1)
    assert dict(s.repo_status) == {"ok": 1, "not_found": 1, "duplicate": 1}
    assert w.out.exists()


def test_page_is_self_contained(world: World, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["report", str(world.out), "--to", str(page)]) == EXIT_OK
    text = page.read_text()
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=", text, re.I)
    assert text.count('<svg class="chart"') >= 8
    assert 'data-label="bert-base-uncased" data-value="2"' in text
    assert "pytorch_model.bin" in text and "trust_remote_code" in text


def test_labels_are_escaped() -> None:
    from miner.report import _chart

    svg = _chart("x", (("<b>&'\"", 3),))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg


def chromium() -> str | None:
    return next((p for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                 if (p := shutil.which(name))), None)


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False)


def test_chromium_draws_the_charts(world: World, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); the browser check needs it")
    page = tmp_path / "report.html"
    assert main(["report", str(world.out), "--to", str(page)]) == EXIT_OK
    dom = headless(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    bars = re.findall(r'<rect class="bar[^"]*" data-label="([^"]*)" data-value="(\d+)"', dom.stdout)
    assert len(bars) == page.read_text().count('<rect class="bar') >= 20
    assert ("bert-base-uncased", "2") in bars
    shot = tmp_path / "shot.png"
    done = headless(browser, tmp_path / "profile2", "--window-size=1300,1800", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1300, 1800)
    colours = count_colours(pixels, {BAR_RGB, ALT_RGB})
    assert colours[BAR_RGB] > 2000, "the blue bars were not drawn"
    assert colours[ALT_RGB] > 200, "the red bars were not drawn"


def count_colours(pixels: list[tuple[int, int, int]], wanted: set[tuple[int, int, int]]) -> dict:
    counts = dict.fromkeys(wanted, 0)
    for p in pixels:
        if p in counts:
            counts[p] += 1
    return counts


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """RGB pixels of an 8-bit RGB or RGBA PNG (what Chromium writes), no imaging library needed."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    pixels: list[tuple[int, int, int]] = []
    previous = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        _unfilter(filt, line, previous, channels)
        pixels.extend(tuple(line[x:x + 3]) for x in range(0, stride, channels))
        previous = line
    return width, height, pixels


def _unfilter(filt: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        corner = prev[i - bpp] if i >= bpp else 0
        if filt == 1:
            line[i] = (line[i] + left) & 0xFF
        elif filt == 2:
            line[i] = (line[i] + up) & 0xFF
        elif filt == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif filt == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF


# -- a 300-character id: the layout holds, the id is cut, the full id is on hover --

# one path segment with no break opportunity (no hyphen, no slash), as S3 object keys often are
LONG_URL = "https://mlartifacts.s3.amazonaws.com/checkpoints/" + "_".join(
    hashlib.sha256(str(i).encode()).hexdigest() for i in range(4)) + "_model.pth"

MEASURE = """<script>
const section = (el) => el.closest('section');
const out = {sections: 0, overflowing: [], docOverflow: false, cellTitle: 0, cellCut: false, tableInside: false};
for (const s of document.querySelectorAll('section')) {
  out.sections += 1;
  if (s.scrollWidth > s.clientWidth + 1) out.overflowing.push(s.querySelector('h2').textContent);
}
out.docOverflow = document.documentElement.scrollWidth > window.innerWidth + 1;
const cell = [...document.querySelectorAll('table.top-models td.id')].find(td => td.title.length >= 300);
if (cell) {
  out.cellTitle = cell.title.length;
  out.cellCut = cell.scrollWidth > cell.clientWidth;
  const t = cell.closest('table').getBoundingClientRect(), s = section(cell).getBoundingClientRect();
  out.tableInside = t.left >= s.left - 1 && t.right <= s.right + 1;
  out.numbersShown = [...cell.closest('tr').querySelectorAll('td.num')].every(td => td.getBoundingClientRect().right <= s.right + 1);
}
document.body.setAttribute('data-layout', JSON.stringify(out));
</script>"""


def test_chromium_keeps_the_layout_with_a_300_character_id(tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); the browser check needs it")
    assert len(LONG_URL) >= 300
    make_git_repo(tmp_path / "repo", {"load.py": (
        "import torch\nfrom transformers import AutoModel\n"
        f"state = torch.hub.load_state_dict_from_url({LONG_URL!r})\n"
        "model = AutoModel.from_pretrained('bert-base-uncased')\n"
        "def build(name):\n    return AutoModel.from_pretrained(name)\n")})
    (tmp_path / "list.txt").write_text("repo\n")
    assert main(["mine", "--repos", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == EXIT_OK
    page = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "out"), "--to", str(page)]) == EXIT_OK
    text = page.read_text()
    assert f'title="{LONG_URL}"' in text  # the full id on hover
    measured = tmp_path / "measured.html"  # the page as written, plus a script that measures it
    measured.write_text(text.replace("</body>", MEASURE + "</body>"))
    for width in (1300, 700):
        dom = headless(browser, tmp_path / f"profile{width}", f"--window-size={width},1800", "--dump-dom",
                       measured.as_uri())
        assert dom.returncode == 0, dom.stderr[-2000:]
        found = re.search(r'data-layout="([^"]*)"', dom.stdout)
        assert found, "the measuring script did not run"
        layout = json.loads(html.unescape(found.group(1)))
        assert layout["sections"] >= 9
        assert layout["overflowing"] == [], f"sections wider than their card at {width}px: {layout}"
        assert not layout["docOverflow"], f"the page scrolls sideways at {width}px"
        assert layout["cellTitle"] == len(LONG_URL)
        assert layout["cellCut"], "the long id is not cut in its cell"
        assert layout["tableInside"] and layout["numbersShown"], layout
    unresolved = re.search(r'data-chart="outcomes".*?data-label="unresolved" data-value="(\d+)"', text, re.S)
    assert unresolved and unresolved.group(1) == "1"  # build(name): no caller, no default
