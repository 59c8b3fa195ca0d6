"""The report: Markdown and one self-contained HTML page built from fake result folders."""
from __future__ import annotations

import base64
import re

import pytest

from rectifier import report, tables
from test_tables import write_run   # tests/ is on sys.path (pytest's rootdir-relative import)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "results"
    for seed, err in ((1, 1.0), (2, 1.2), (3, 1.4)):
        write_run(root, seed=seed, test_error=err)
        write_run(root, activation="tanh", seed=seed, test_error=err + 0.5, sparsity=(0, 0, 0),
                  dead=(0, 0, 0))
    write_run(root, activation="softplus", seed=1, test_error=1.9, sparsity=(0, 0, 0))
    write_run(root, activation="sigmoid", seed=1, test_error=2.0, sparsity=(0, 0, 0),
              stopped="max_epochs", git_commit="abc123-dirty", max_epochs=4, patience=2)
    for seed in (1, 2):
        write_run(root, dataset="digits", seed=seed, test_error=4.0 + seed, sparsity=(50, 60),
                  dead=(1, 2), hidden=[100, 100], n_train=1077, n_valid=360, n_test=360,
                  wall_time_s=3.5, git_commit=None)
    runs = tables.collect(root)
    out = tmp / "reports"
    paths = report.render(runs, tables.load_histories(runs), None, out,
                          deviations=["Learning rate fixed at 0.01 (deviation passed in)."],
                          context="Test run.")
    return paths, out


def test_files_written(rendered):
    paths, out = rendered
    assert paths["markdown"] == out / "report.md" and paths["html"] == out / "report.html"
    assert {p.name for p in paths["figures"]} == {"test_error.png", "sparsity.png", "curves.png"}
    for png in paths["figures"]:
        assert png.read_bytes().startswith(PNG)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_html_is_self_contained(rendered):
    page = rendered[0]["html"].read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    assert not re.search(r"https?://", page)
    assert not re.search(r'(src|href)="(?!data:)', page)       # nothing fetched from outside
    assert "<style>" in page


def test_markdown_content(rendered):
    md = rendered[0]["markdown"].read_text()
    assert "](figures/test_error.png)" in md and "](figures/curves.png)" in md
    assert "Claim under test" in md and "truly sparse codes" in md
    # Table 1 row: ours 1.20 ± 0.20 over 3 seeds, paper 1.43, difference -0.23, reproduced
    row = next(line for line in md.splitlines() if "| mnist" in line and "rectifier" in line)
    assert "1.20 ± 0.20" in row and "1.43" in row and "-0.23" in row and "reproduced" in row
    single = next(line for line in md.splitlines() if "| mnist" in line and "softplus" in line)
    assert tables.VERDICT_SINGLE in single and "±" not in single.split("|")[5]
    assert "1.77" in single and "+0.13" in single
    sigmoid = next(line for line in md.splitlines() if "| mnist" in line and "sigmoid" in line)
    assert tables.VERDICT_NO_FIGURE in sigmoid
    assert "digits: no published figure" in md
    assert "83.4" in md                                        # paper's sparsity beside ours
    assert "nan" not in md.lower().replace("nanosec", "")


def test_report_states_protocol_compute_and_deviations(rendered):
    md = rendered[0]["markdown"].read_text()
    assert "Learning rate fixed at 0.01 (deviation passed in)." in md
    assert "Data set digits is not one of the paper's" in md
    assert "Sigmoid networks are our extension" in md
    assert "2 of 5 configurations have a single seed" in md
    assert "nistp (not public)" in md
    assert "No network was pre-trained" in md
    assert "2 run(s) recorded no git commit." in md
    assert "2 different git commits" in md and "1 run(s) came from a checkout with" in md
    assert re.search(r"\| max epochs +\| not recorded \(9\), 4 \(1\)", md)
    assert "50,000 / 10,000 / 10,000" in md and "1,077 / 360 / 360" in md
    assert "1000-1000-1000" in md and "100-100" in md
    assert "cpu: test cpu" in md and "2.13.0" in md and "abc123" in md
    assert "87.0 s" in md                                      # 8 runs x 10 s + 2 x 3.5 s
    assert "9 run(s) stopped early, 1 run(s) ran to max epochs" in md
    assert "10 training runs: 5 configurations" in md
    html = rendered[0]["html"].read_text()
    assert "Learning rate fixed at 0.01 (deviation passed in)." in html


def test_render_from_tables_folder(tmp_path):
    root = tmp_path / "results"
    write_run(root, seed=1, test_error=1.5)
    write_run(root, dataset="cifar10", pretraining="dae", seed=1, test_error=50.0)
    runs = tables.collect(root)
    tables.write({"table1": tables.table1(runs), "sparsity": tables.sparsity(runs)},
                 tmp_path / "tables")
    paths = report.render(runs, tables.load_histories(runs), tmp_path / "tables",
                          tmp_path / "out")
    md = paths["markdown"].read_text()
    assert "1.50" in md and tables.VERDICT_SINGLE in md and "+0.07" in md
    assert "49.96 (?)" in md and "+0.04" in md          # provisional paper cell flagged
    assert "1 of the paper's figures compared here are provisional" in md
