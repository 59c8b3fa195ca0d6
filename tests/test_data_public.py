"""The paper's public data sets (CIFAR10, NORB, small NORB, Amazon reviews) end to end through
prepare(): tiny files in the exact public formats, served from 127.0.0.1, fetched, verified,
read and split; and each reader refusing malformed input by name."""
from __future__ import annotations

import gzip
import json
import logging

import numpy as np
import public_formats as fmt
import pytest
from data_helpers import dead_url, serve

from rectifier import config
from rectifier.data import DownloadError, load, norb, norbfile, prepare, registry
from rectifier.data.amazon import ReviewError
from rectifier.data.archive import ArchiveError
from rectifier.data.cifar import CifarError
from rectifier.data.download import ENV_MIRRORS
from rectifier.data.norbfile import NorbError

SMALL = {"cifar10": {"valid_size": 3}, "norb": {"valid_size": 6, "split_seed": 0},
         "smallnorb": {"valid_size": 2, "split_seed": 0},
         "amazon": {"vocabulary": 12, "valid_size": 6, "test_size": 8, "split_seed": 0}}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No user mirror, and the public URLs replaced by a dead port: nothing leaves 127.0.0.1."""
    monkeypatch.delenv(ENV_MIRRORS, raising=False)
    for name in ("CIFAR10_URLS", "NORB_URLS", "SMALLNORB_URLS", "AMAZON_URLS"):
        monkeypatch.setattr(registry, name, (dead_url(),))


@pytest.fixture
def server():
    with serve() as srv:
        yield srv


def params_for(tmp_path, server, name, files, checksums=None, retries=1):
    """The real params.yaml, data under tmp_path, the server as mirror, tiny splits, and the
    generated files' checksums pinned (their published ones are of the real files)."""
    server.serve_files(f"/{name}/", files)
    overrides = {"data.root": str(tmp_path / "data"), "data.mirrors": [server.url("/")],
                 "data.retries": retries,
                 "data.checksums": fmt.pins(files) if checksums is None else checksums}
    overrides.update({f"data.{key}": value for key, value in SMALL.items()})
    return config.load(config.ROOT / "params.yaml", overrides=overrides)


def test_cifar10_is_fetched_unpacked_and_split_as_the_paper(tmp_path, server):
    files, arrays = fmt.cifar10()
    splits = load(prepare(params_for(tmp_path, server, "cifar10", files), "cifar10"))
    x_train = np.concatenate([arrays[f"data_batch_{i}.bin"][0] for i in range(1, 6)])
    x_test, y_test = arrays["test_batch.bin"]
    assert (splits.n_features, splits.classes) == (3072, 10)
    assert [len(splits.y_train), len(splits.y_valid), len(splits.y_test)] == [20, 3, 3]
    np.testing.assert_allclose(splits.x_train, x_train / 255, atol=1e-6)
    np.testing.assert_allclose(splits.x_valid, x_test[:3] / 255, atol=1e-6)   # first half
    np.testing.assert_array_equal(splits.y_test, y_test[3:])
    record = json.loads((tmp_path / "data/cifar10/prepared.json").read_text())
    assert record["raw_sha256"] == {k: v.removeprefix("sha256:")
                                    for k, v in fmt.pins(files).items()}


def test_published_checksums_are_the_defaults():
    data = config.load(config.ROOT / "params.yaml").data
    assert registry.resolve(data, "cifar10").checksum.endswith(
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")
    norb_spec = registry.resolve(data, "norb")
    assert len(norb_spec.train) == 10 and len(norb_spec.test) == 2
    assert all(c.startswith("sha1:") for c in norb_spec.checksums.values())
    assert len(registry.resolve(data, "smallnorb").checksums) == 4
    assert registry.resolve(data, "amazon_books").checksum is None   # none published


def test_wrong_checksum_fails_clearly_and_leaves_nothing(tmp_path, server):
    files, _ = fmt.cifar10()
    wrong = {registry.CIFAR10_ARCHIVE: "sha256:" + "0" * 64}
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        prepare(params_for(tmp_path, server, "cifar10", files, checksums=wrong), "cifar10")
    folder = tmp_path / "data/cifar10"
    assert [p.name for p in folder.rglob("*")] == ["raw"]


@pytest.mark.parametrize("evil", [{"../escaped.bin": b"x"}, {"/tmp/absolute.bin": b"x"}])
def test_archive_member_outside_the_folder_is_refused(tmp_path, server, evil):
    files, _ = fmt.cifar10(**evil)
    with pytest.raises(ArchiveError, match="would land outside the target folder"):
        prepare(params_for(tmp_path, server, "cifar10", files), "cifar10")
    raw = tmp_path / "data/cifar10/raw"
    assert not (raw / "escaped.bin").exists() and not (tmp_path / "data/cifar10/escaped.bin").exists()
    assert sorted(p.name for p in raw.iterdir()) == [registry.CIFAR10_ARCHIVE]   # no unpacked/


def test_archive_link_is_refused(tmp_path, server):
    files, _ = fmt.cifar10()
    members = {"cifar-10-batches-bin/test_batch.bin": b"\0" * 3073}
    files = {registry.CIFAR10_ARCHIVE: fmt.tarball(members, links={"link": "/etc/passwd"})}
    with pytest.raises(ArchiveError, match="'link' is a link or a device"):
        prepare(params_for(tmp_path, server, "cifar10", files), "cifar10")


def test_cifar_batch_of_the_wrong_size_is_refused_by_name(tmp_path, server):
    files, _ = fmt.cifar10(**{"cifar-10-batches-bin/data_batch_3.bin": b"\0" * 3074})
    with pytest.raises(CifarError, match=r"data_batch_3.bin: 3074 bytes is not a whole number"):
        prepare(params_for(tmp_path, server, "cifar10", files), "cifar10")
    assert not (tmp_path / "data/cifar10/prepared.npz").exists()


@pytest.mark.parametrize("name, side, pairs, classes", [("norb", 108, 12, 6),
                                                         ("smallnorb", 96, 2, 5)])
def test_norb_is_read_in_chunks_downsampled_and_split(tmp_path, server, monkeypatch, name, side,
                                                      pairs, classes):
    monkeypatch.setattr(norb, "CHUNK", 2)            # several chunks per file
    files, arrays = fmt.norb(name)
    splits = load(prepare(params_for(tmp_path, server, name, files), name))
    spec = registry.NORB_TRAIN if name == "norb" else registry.SMALLNORB_TRAIN
    test = registry.NORB_TEST if name == "norb" else registry.SMALLNORB_TEST
    n_train = 3 * len(spec)
    assert (splits.n_features, splits.classes) == (2 * 32 * 32, classes)
    assert len(splits.y_train) + len(splits.y_valid) == n_train
    assert len(splits.y_valid) == SMALL[name]["valid_size"]
    assert len(splits.y_test) == 3 * len(test)
    # Constant images stay constant: each half of a row is its pair's left / right value.
    values = np.concatenate([arrays[dat][0] for dat, _ in test])
    rows = splits.x_test.reshape(-1, 2, 32 * 32) * 255
    np.testing.assert_allclose(rows[:, :, 0], values, atol=1e-3)
    np.testing.assert_allclose(rows.min(axis=2), rows.max(axis=2), atol=1e-3)
    np.testing.assert_array_equal(splits.y_test, np.concatenate([arrays[d][1] for d, _ in test]))
    # Train and valid partition the training pairs, each image still beside its own label.
    label_of = {int(v[0]): int(y) for dat, _ in spec for v, y in zip(*arrays[dat])}
    for x, y in [(splits.x_train, splits.y_train), (splits.x_valid, splits.y_valid)]:
        left = np.rint(x.reshape(-1, 2, 32 * 32)[:, 0, 0] * 255).astype(int)
        assert [label_of[v] for v in left] == list(y)
    seen = np.concatenate([splits.x_train, splits.x_valid])[:, 0] * 255
    assert sorted(np.rint(seen).astype(int)) == sorted(label_of)


def test_downsampling_averages_areas():
    image = np.zeros((1, 2, 96, 96), dtype=np.uint8)
    image[0, 0, :3, :3] = 90                         # one 3x3 block of the left image
    small = norb.downsample(image, 32).reshape(2, 32, 32)
    assert small[0, 0, 0] == 90 and small[0].sum() == 90 and small[1].sum() == 0


def write(tmp_path, blob, name="m-dat.mat"):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


@pytest.mark.parametrize("blob, message", [
    (b"\x00" * 4, "truncated: the file ends before the header"),
    (bytes.fromhex("554c3d1f") + b"\x04\x00\x00\x00" + b"\x00" * 16, "magic number 0x1f3d4c55"),
    (fmt.norb_matrix(np.zeros((3, 2, 4, 4), np.uint8))[:-5], "ends before 3 rows"),
    (fmt.norb_matrix(np.zeros((3, 2, 4, 4), np.uint8)) + b"\x00", "data after the 3 rows"),
    (bytes.fromhex("554c3d1e") + b"\x09\x00\x00\x00", "9 dimensions"),
])
def test_malformed_norb_matrix_is_refused_by_name(tmp_path, blob, message):
    path = write(tmp_path, blob)
    with pytest.raises(NorbError, match=message) as err:
        list(norbfile.rows(path, 2))
    assert str(path) in str(err.value)


def test_norb_matrix_reads_gzipped_and_plain_alike(tmp_path):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    plain = write(tmp_path, fmt.norb_matrix(array))
    packed = write(tmp_path, gzip.compress(fmt.norb_matrix(array)), "m-dat.mat.gz")
    np.testing.assert_array_equal(norbfile.read(plain), array)
    np.testing.assert_array_equal(norbfile.read(packed), array)
    labels = write(tmp_path, fmt.norb_matrix(np.arange(5, dtype=np.int32)), "cat.mat")
    np.testing.assert_array_equal(norbfile.read(labels), np.arange(5))   # 20-byte header


@pytest.mark.parametrize("kind, content, message", [
    ("cat", np.zeros(2, np.int32), r"2 labels for the 3 pairs"),
    ("cat", np.array([0, 7, 1], np.int32), r"label 7 out of range for 5 classes"),
    ("cat", np.zeros((3, 2), np.int32), r"expected one int32 label per pair"),
    ("dat", np.zeros((3, 96, 96), np.uint8), r"expected bytes of shape \(n, 2, h, w\)"),
    ("dat", b"not gzip", r"unreadable|truncated"),
    ("dat", "cut", r"unreadable|truncated"),
])
def test_malformed_norb_files_are_refused_by_name(tmp_path, server, kind, content, message):
    files, _ = fmt.norb("smallnorb")
    dat, cat = registry.SMALLNORB_TEST[0]
    name = cat if kind == "cat" else dat
    if isinstance(content, np.ndarray):
        files[name] = gzip.compress(fmt.norb_matrix(content))
    elif content == "cut":                         # a gzip stream cut in the middle
        files[name] = files[name][:len(files[name]) // 2]
    else:
        files[name] = content
    with pytest.raises(NorbError, match=message) as err:
        prepare(params_for(tmp_path, server, "smallnorb", files), "smallnorb")
    assert name in str(err.value)
    assert not (tmp_path / "data/smallnorb/prepared.npz").exists()


def test_amazon_domain_becomes_a_binary_bag_of_words_with_unlabelled_reviews(tmp_path, server,
                                                                            caplog):
    files, _ = fmt.amazon(domains=("books", "dvd"))
    params = params_for(tmp_path, server, "amazon_books", files, checksums={})
    with caplog.at_level(logging.WARNING, logger="rectifier.data"):
        splits = load(prepare(params, "amazon_books"))
    sha = fmt.pins(files)[registry.AMAZON_ARCHIVE].removeprefix("sha256:")
    assert f"its SHA-256 is {sha}" in caplog.text and "data.checksums" in caplog.text
    assert (splits.n_features, splits.classes) == (12, 2)
    assert [len(splits.y_train), len(splits.y_valid), len(splits.y_test)] == [26, 6, 8]
    assert len(splits.x_unlabelled) == 10
    x = np.concatenate([splits.x_train, splits.x_valid, splits.x_test, splits.x_unlabelled])
    assert set(np.unique(x)) <= {0.0, 1.0}
    # The cue words are in every review, so they rank first and mark the labels.
    record = json.loads((tmp_path / "data/amazon_books/prepared.json").read_text())
    assert record["unlabelled"] == 10
    # "great" (every positive and unlabelled review) and "bad" (every negative one) are the most
    # frequent terms: columns 0 and 1, and each marks its label.
    np.testing.assert_array_equal(splits.x_train[:, 0], splits.y_train)
    np.testing.assert_array_equal(splits.x_train[:, 1], 1 - splits.y_train)


def test_malformed_review_is_refused_with_file_and_line(tmp_path, server):
    members = {f"processed_acl/books/{part}.review": b"good:1 #label#:positive\n"
               for part in ("positive", "unlabeled")}
    members["processed_acl/books/negative.review"] = b"bad:1 #label#:negative\nbad:x\n"
    files = {registry.AMAZON_ARCHIVE: fmt.tarball(members)}
    with pytest.raises(ReviewError, match=r"negative.review, line 2: count 'x' of 'bad'"):
        prepare(params_for(tmp_path, server, "amazon_books", files), "amazon_books")


def test_amazon_archive_without_the_domain_is_refused(tmp_path, server):
    files, _ = fmt.amazon(domains=("dvd",))
    with pytest.raises(ReviewError, match="no processed_acl/books/positive.review"):
        prepare(params_for(tmp_path, server, "amazon_books", files), "amazon_books")


@pytest.mark.parametrize("name", ["nistp", "opentable"])
def test_sets_that_were_never_public_are_refused_with_the_reason(tmp_path, name):
    with pytest.raises(config.ConfigError, match=f"'{name}' is not available"):
        config.load(config.ROOT / "params.yaml", overrides={"datasets": [name]})
    data = config.load(config.ROOT / "params.yaml").data
    with pytest.raises(ValueError, match="not available"):
        registry.resolve(data, name)


def test_a_different_cifar_archive_is_never_read_from_the_old_unpacked_folder(tmp_path):
    first, _ = fmt.cifar10(seed=1)
    second, arrays = fmt.cifar10(seed=2)
    for files in (first, second):                  # e.g. data.checksums pinned to a new copy
        with serve() as server:
            splits = load(prepare(params_for(tmp_path, server, "cifar10", files), "cifar10"))
    np.testing.assert_allclose(splits.x_test, arrays["test_batch.bin"][0][3:] / 255, atol=1e-6)
    assert len(list((tmp_path / "data/cifar10/raw").glob("unpacked-*"))) == 1


def test_review_archive_names_are_normalised(tmp_path, server):
    _, reviews = fmt.amazon()
    members = {f"./processed_acl/books/{part}.review": "".join(reviews[("books", part)]).encode()
               for part in ("positive", "negative", "unlabeled")}
    files = {registry.AMAZON_ARCHIVE: fmt.tarball(members)}
    splits = load(prepare(params_for(tmp_path, server, "amazon_books", files), "amazon_books"))
    assert len(splits.y_train) == 26
