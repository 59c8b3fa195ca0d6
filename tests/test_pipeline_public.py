"""The real Snakemake pipeline on the paper's public data sets: tiny CIFAR10, NORB, small NORB
and Amazon (books) files in their public formats, served from 127.0.0.1, through download,
preparation, pre-training, one short training job each, tables and report."""
import json

import pandas as pd
import public_formats as fmt
import pytest
from data_helpers import serve
from helpers import write_params
from test_pipeline import snakemake

pytestmark = pytest.mark.slow
DATASETS = ["cifar10", "norb", "smallnorb", "amazon_books"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("public")
    files = {"cifar10": fmt.cifar10()[0], "norb": fmt.norb("norb")[0],
             "smallnorb": fmt.norb("smallnorb")[0], "amazon_books": fmt.amazon()[0]}
    with serve() as server:
        for name, served in files.items():
            server.serve_files(f"/{name}/", served)
        write_params(folder, datasets=DATASETS, activations=["rectifier"],
                     pretraining=["none", "dae"], pretrain__epochs=1, train__max_epochs=1,
                     model__hidden=[16],
                     model__hidden_per_dataset={"norb": [16, 8], "smallnorb": [16, 8]},
                     data__mirrors=[server.url("/")], data__retries=1,
                     data__checksums={k: v for f in files.values() for k, v in fmt.pins(f).items()},
                     data__cifar10={"valid_size": 3},
                     data__norb={"valid_size": 6, "split_seed": 0},
                     data__smallnorb={"valid_size": 2, "split_seed": 0},
                     data__amazon={"vocabulary": 12, "valid_size": 6, "test_size": 8,
                                   "split_seed": 0})
        snakemake(folder, "--cores", "2")
        yield folder


def test_every_data_set_is_prepared_trained_and_tabulated(pipeline):
    sizes = {d: json.loads((pipeline / f"data/{d}/prepared.json").read_text())["sizes"]
             for d in DATASETS}
    assert sizes == {"cifar10": {"train": 20, "valid": 3, "test": 3},
                     "norb": {"train": 24, "valid": 6, "test": 6},
                     "smallnorb": {"train": 1, "valid": 2, "test": 3},
                     "amazon_books": {"train": 26, "valid": 6, "test": 8}}
    runs = pd.read_csv(pipeline / "reports/tables/runs.csv")
    assert sorted(zip(runs.dataset, runs.pretraining)) == sorted(
        (d, p) for d in DATASETS for p in ("dae", "none"))
    metrics = json.loads((pipeline / "results/smallnorb/rectifier/dae/lr0.05/seed1/"
                          "metrics.json").read_text())
    assert metrics["hidden"] == [16, 8] and metrics["n_train"] == 1


def test_unlabelled_reviews_feed_pre_training(pipeline):
    metrics = json.loads((pipeline / "pretrained/amazon_books/rectifier/lr0.01/seed1/metrics.json")
                         .read_text())
    assert (metrics["n_train"], metrics["n_pretrain"]) == (26, 36)


def test_report_has_the_amazon_accuracy_and_keeps_nistp_rows(pipeline):
    markdown = (pipeline / "reports/report.md").read_text()
    section = markdown.split("## Amazon reviews: accuracy (%)")[1].split("## ")[0]
    header = section.split("\n")[4]
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "activation", "pre-training", "books", "mean over domains", "paper (rectifier)",
        "difference"]
    assert section.count("| rectifier ") == 2 and section.count("| 78.95 ") == 2
    assert markdown.count("not available (not public)") == 6       # NISTP: 3 activations x 2
