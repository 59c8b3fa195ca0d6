"""The report as a reader sees it: the HTML page opened in headless Chromium (Debian's package;
.ci/run installs it) at 1,280 px. Skips, saying why, where Chromium is absent."""
import json
import re
import shutil
import subprocess

import pytest
from helpers import ROOT, rectifier

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed "
                                 "(apt-get install chromium; .ci/run does it as root)")]

# Added to a copy of the page: the report itself carries no script.
PROBE = """<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var found = {width: window.innerWidth, scroll: document.documentElement.scrollWidth,
    images: images.length,
    loaded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    headline: !!document.getElementById("headline"),
    contents: document.querySelectorAll('a[href^="#"]').length};
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>"""


def probe(page: str, tmp_path) -> dict:
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom",
                          copy.as_uri()], capture_output=True, text=True, timeout=120).stdout
    return json.loads(re.search(r'<pre id="probe">([^<]*)</pre>', dom).group(1))


def test_the_report_fits_the_window_and_shows_every_figure(tmp_path):
    """The default run's report (digits, rendered from its committed runs): no sideways scroll
    at 1,280 px (the long tables scroll in their own box), every image loaded, the headline
    and the contents' links there."""
    folder = tmp_path / "digits"
    shutil.copytree(ROOT / "reports/published/digits/runs", folder / "runs")
    shutil.copy(ROOT / "reports/published/digits/params.yaml", folder / "params.yaml")
    rectifier("publish", folder, "--render-only", cwd=tmp_path)
    found = probe((folder / "report.html").read_text(), tmp_path)
    assert found["width"] == 1280 and found["scroll"] <= found["width"], found
    assert found["images"] == 3 and found["loaded"] == 3, found
    assert found["headline"] and found["contents"] >= 10, found


def test_the_published_protocol_report_fits_the_window_with_its_ablations(tmp_path):
    """The MNIST protocol run's committed page, with its widest table (the ablations, 13
    columns) and its pre-training section: no sideways scroll, every image loaded."""
    page = (ROOT / "reports/published/mnist-protocol/report.html").read_text()
    assert 'id="ablations-what-the-papers-open-choices-change"' in page
    found = probe(page, tmp_path)
    assert found["width"] == 1280 and found["scroll"] <= found["width"], found
    assert found["images"] >= 4 and found["loaded"] == found["images"], found
