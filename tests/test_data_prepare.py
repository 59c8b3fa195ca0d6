"""prepare() and load() end to end: a tiny IDX set over HTTP, digits, and (if present) MNIST."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from data_helpers import dead_url, serve, tiny_set

from rectifier import config
from rectifier.data import DownloadError, IdxError, load, prepare, registry
from rectifier.data.download import ENV_MIRRORS

# The shared data folder beside the repository (see its README); tests skip without it.
LOCAL_MNIST = config.ROOT.parent / "shared" / "datasets" / "mnist"


@pytest.fixture(autouse=True)
def no_env_mirrors(monkeypatch):
    monkeypatch.delenv(ENV_MIRRORS, raising=False)


@pytest.fixture
def server():
    with serve() as srv:
        yield srv


def make_params(tmp_path, **data):
    """The real params.yaml with data.root in tmp_path and `data` keys overridden."""
    overrides = {f"data.{key}": value for key, value in data.items()}
    return config.load(config.ROOT / "params.yaml",
                       overrides={"data.root": str(tmp_path / "data"), **overrides})


def file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_unknown_name_is_refused_with_the_known_names(tmp_path):
    with pytest.raises(ValueError, match=r"unknown data set 'cifar'.*'digits', 'mnist'"):
        prepare(make_params(tmp_path), "cifar")


def test_builtin_names_match_config(tmp_path):
    assert registry.names(make_params(tmp_path).data) == config.BUILTIN_DATASETS


def test_mnist_spec_has_the_public_mirrors_in_order_and_the_paper_split():
    assert registry.MNIST.urls == ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                                   "https://storage.googleapis.com/cvdf-datasets/mnist/",
                                   "http://yann.lecun.com/exdb/mnist/")
    assert (registry.MNIST.classes, registry.MNIST.valid_size) == (10, 10_000)


def test_declared_idx_set_end_to_end(server, tmp_path):
    tiny = tiny_set()
    url = server.serve_files("/tiny/", tiny.files())
    params = make_params(tmp_path, idx={"tiny": tiny.entry([url], valid_size=5)})
    npz = prepare(params, "tiny")
    folder = tmp_path / "data" / "tiny"
    assert npz == folder / "prepared.npz"
    assert sorted(p.name for p in folder.iterdir()) == ["prepared.json", "prepared.npz", "raw"]

    splits = load(npz)
    assert (splits.name, splits.classes, splits.n_features) == ("tiny", 3, 16)
    assert [len(splits.x_train), len(splits.x_valid), len(splits.x_test)] == [25, 5, 10]
    for x, y in [(splits.x_train, splits.y_train), (splits.x_valid, splits.y_valid),
                 (splits.x_test, splits.y_test)]:
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert 0.0 <= x.min() and x.max() <= 1.0
    # The last valid_size training examples validate, in file order.
    flat = tiny.x_train.reshape(30, 16).astype(np.float32) / 255
    np.testing.assert_allclose(splits.x_train, flat[:25], atol=1e-6)
    np.testing.assert_allclose(splits.x_valid, flat[25:], atol=1e-6)
    np.testing.assert_array_equal(splits.y_valid, tiny.y_train[25:])
    np.testing.assert_array_equal(splits.y_test, tiny.y_test)

    assert splits.sha256 == file_sha256(npz)
    record = json.loads((folder / "prepared.json").read_text())
    assert record["sha256"] == splits.sha256
    assert record["sizes"] == {"train": 25, "valid": 5, "test": 10}
    assert (record["source"], record["n_features"], record["classes"]) == (url, 16, 3)
    assert record["raw_sha256"] == {
        name.removesuffix(".gz"): tiny.entry([url])["sha256"][key]
        for key, name in tiny.entry([url])["files"].items()}
    for name in record["raw_sha256"]:
        assert file_sha256(folder / "raw" / name) == record["raw_sha256"][name]


def test_second_prepare_fetches_nothing_and_writes_the_same_bytes(server, tmp_path):
    tiny = tiny_set()
    url = server.serve_files("/tiny/", tiny.files())
    params = make_params(tmp_path, idx={"tiny": tiny.entry([url])})
    first = file_sha256(prepare(params, "tiny"))
    requests = len(server.requests)
    assert requests == 4
    assert file_sha256(prepare(params, "tiny")) == first
    assert len(server.requests) == requests


@pytest.mark.parametrize("via", ["params", "env"])
def test_user_mirror_is_tried_before_the_public_urls(tmp_path, monkeypatch, via):
    tiny = tiny_set()
    mirror = str(tiny.write(tmp_path / "mirror" / "tiny").parent)   # a folder per data set
    if via == "env":
        monkeypatch.setenv(ENV_MIRRORS, mirror)
    params = make_params(tmp_path, mirrors=[mirror] if via == "params" else [], retries=1,
                         idx={"tiny": tiny.entry([dead_url()])})
    assert len(load(prepare(params, "tiny")).x_test) == 10


def test_failed_download_leaves_no_prepared_or_partial_file(tmp_path):
    tiny = tiny_set()
    params = make_params(tmp_path, retries=1, idx={"tiny": tiny.entry([dead_url()])})
    with pytest.raises(DownloadError, match="ConnectionRefusedError"):
        prepare(params, "tiny")
    folder = tmp_path / "data" / "tiny"
    assert [str(p.relative_to(folder)) for p in folder.rglob("*")] == ["raw"]


def test_out_of_range_labels_in_a_declared_set_are_refused(server, tmp_path):
    tiny = tiny_set()
    tiny.classes = 2  # the labels go up to 2
    url = server.serve_files("/tiny/", tiny.files())
    params = make_params(tmp_path, idx={"tiny": tiny.entry([url])})
    with pytest.raises(IdxError, match="out of range for 2 classes"):
        prepare(params, "tiny")
    assert not (tmp_path / "data" / "tiny" / "prepared.npz").exists()


def test_digits_split_is_exact_and_deterministic(tmp_path):
    first = load(prepare(make_params(tmp_path / "a"), "digits"))
    again = load(prepare(make_params(tmp_path / "b"), "digits"))
    other = load(prepare(make_params(tmp_path / "c", digits={
        "valid_fraction": 0.2, "test_fraction": 0.2, "split_seed": 1}), "digits"))
    assert [len(first.y_train), len(first.y_valid), len(first.y_test)] == [1079, 359, 359]
    assert (first.n_features, first.classes, first.x_train.max()) == (64, 10, 1.0)
    assert first.x_train.dtype == np.float32 and first.y_train.dtype == np.int64
    assert first.sha256 == again.sha256
    np.testing.assert_array_equal(first.x_test, again.x_test)
    assert first.sha256 != other.sha256
    assert not np.array_equal(first.y_test, other.y_test)
    # Stratified: every split holds every class.
    assert all(len(np.unique(y)) == 10 for y in (first.y_train, first.y_valid, first.y_test))


@pytest.mark.skipif(not LOCAL_MNIST.is_dir(), reason=f"no local MNIST copy at {LOCAL_MNIST}")
def test_real_mnist_from_a_local_mirror(tmp_path, monkeypatch):
    # Only the local copy: a failure must not fall through to the public mirrors.
    local = dataclasses.replace(registry.MNIST, urls=(str(LOCAL_MNIST),))
    monkeypatch.setitem(registry.BUILTIN_IDX, "mnist", local)
    npz = prepare(make_params(tmp_path), "mnist")
    splits = load(npz)
    assert [len(splits.y_train), len(splits.y_valid), len(splits.y_test)] == [50_000, 10_000, 10_000]
    assert (splits.n_features, splits.classes) == (784, 10)
    assert splits.x_train.max() == 1.0 and splits.y_train.max() == 9
    record = json.loads(npz.with_name("prepared.json").read_text())
    assert sorted(record["raw_sha256"].values()) == sorted(registry.MNIST.sha256.values())
    assert record["sha256"] == splits.sha256 == file_sha256(npz)
