"""The HTML report in a real browser: headless Chromium from the system packages (skipped
where it is not installed: `apt-get install chromium`). It renders, logs nothing to the
console, its links are there, and the status filter hides what it should."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from refcheck.model import decide
from refcheck.report import Format
from tests.test_report import ARCHIVED, wide_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

#: Flags for a headless run on a machine without a network or a screen.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]

#: Appended to a copy of the page: untick "dead", then write what is hidden into the title.
PROBE = """<script>
var box = document.querySelector('.filters input[value="dead"]');
box.checked = false; box.dispatchEvent(new Event('change'));
var hidden = Array.from(document.querySelectorAll('[data-status]')).filter(e => e.hidden);
document.title = 'hidden:' + hidden.map(e => e.getAttribute('data-status')).join(',');
</script>"""


def chromium(tmp_path: Path, page: str, *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           *extra, path.as_uri()],
                          capture_output=True, text=True, timeout=120)


def report_page() -> str:
    run = wide_report()
    out = io.StringIO()
    Format.html.renderer().render(run, decide(run), out)
    return out.getvalue()


def test_the_html_report_renders_without_console_errors_and_links_work(
        tmp_path: Path) -> None:
    run = chromium(tmp_path, report_page(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "CONSOLE" not in run.stderr  # the page's script logged nothing, raised nothing
    dom = run.stdout
    assert f'href="{ARCHIVED}"' in dom
    assert "What to do" in dom and "Primary Justice" in dom
    assert not re.search(r"<(img|link|iframe)\b", dom)


def test_the_status_filter_hides_sources_in_the_browser(tmp_path: Path) -> None:
    page = report_page().replace("</body>", PROBE + "</body>")
    run = chromium(tmp_path, page, "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", run.stdout)
    assert title is not None
    assert set(title.group(1).removeprefix("hidden:").split(",")) == {"dead"}
