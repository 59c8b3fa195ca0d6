"""The IDX reader: round trips, and a clear refusal of every malformed file."""
from __future__ import annotations

import numpy as np
import pytest
from data_helpers import idx_bytes

from rectifier.data.idx import IdxError, read_examples, read_idx

IMAGES = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
LABELS = np.array([0, 2, 1], dtype=np.uint8)


def write(tmp_path, name, blob):
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def test_round_trip_keeps_shape_and_values(tmp_path):
    array = read_idx(write(tmp_path, "images", idx_bytes(IMAGES)))
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, IMAGES)


@pytest.mark.parametrize("blob, message", [
    (b"\x01\x00" + idx_bytes(IMAGES)[2:], "bad magic number 0100"),
    (idx_bytes(IMAGES)[:2] + b"\x0d" + idx_bytes(IMAGES)[3:], "unsupported IDX type code 0x0d"),
    (b"\x00\x00", "truncated"),
    (idx_bytes(IMAGES)[:8], "truncated or bad header"),
    (idx_bytes(IMAGES)[:-1], "truncated: dimensions (3, 4, 5) need 60 data bytes, found 59"),
    (idx_bytes(IMAGES) + b"\x00\x00", "2 trailing bytes"),
], ids=["magic", "type", "short-magic", "short-header", "short-data", "trailing"])
def test_malformed_file_is_refused_by_name(tmp_path, blob, message):
    path = write(tmp_path, "broken-idx3-ubyte", blob)
    with pytest.raises(IdxError) as caught:
        read_idx(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_examples_are_flattened_with_int64_labels(tmp_path):
    x, y = read_examples(write(tmp_path, "i", idx_bytes(IMAGES)),
                         write(tmp_path, "l", idx_bytes(LABELS)), classes=3)
    assert x.shape == (3, 20) and x.dtype == np.uint8
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, LABELS)


def test_count_mismatch_is_refused(tmp_path):
    images = write(tmp_path, "i", idx_bytes(IMAGES))
    labels = write(tmp_path, "l", idx_bytes(LABELS[:2]))
    with pytest.raises(IdxError, match="holds 3 images but .* holds 2 labels"):
        read_examples(images, labels, classes=3)


def test_label_out_of_range_is_refused(tmp_path):
    images = write(tmp_path, "i", idx_bytes(IMAGES))
    labels = write(tmp_path, "l", idx_bytes(np.array([0, 1, 3])))
    with pytest.raises(IdxError, match="label 3 is out of range for 3 classes"):
        read_examples(images, labels, classes=3)


def test_labels_must_be_one_dimensional(tmp_path):
    images = write(tmp_path, "i", idx_bytes(IMAGES))
    labels = write(tmp_path, "l", idx_bytes(IMAGES))
    with pytest.raises(IdxError, match="labels need 1 dimension"):
        read_examples(images, labels, classes=3)
