"""download.fetch against a real HTTP server on 127.0.0.1, local folders and file:// mirrors."""
from __future__ import annotations

import hashlib
import logging

import pytest
from data_helpers import Reply, dead_url, gzipped, serve, sha256

from rectifier.data import download
from rectifier.data.download import DownloadError

CONTENT = bytes(range(256)) * 64
GZ = gzipped(CONTENT)
NAME = "blob.bin.gz"
STORED = "blob.bin"


@pytest.fixture
def server():
    with serve() as srv:
        yield srv


def fetch(urls, dest, name=NAME, **kwargs):
    options = {"retries": 2, "timeout_s": 5.0, "backoff_s": 0.01} | kwargs
    return download.fetch(name, sha256(CONTENT), urls, dest, **options)


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def corrupt(blob: bytes) -> bytes:
    return gzipped(blob[:100] + bytes([blob[100] ^ 0xFF]) + blob[101:])


def test_gz_file_is_verified_and_stored_decompressed(server, tmp_path):
    url = server.serve_files("/a/", {NAME: GZ})
    path = fetch([url], tmp_path)
    assert path == tmp_path / STORED
    assert path.read_bytes() == CONTENT
    assert files_in(tmp_path) == [STORED]


def test_plain_file_is_stored_as_served(server, tmp_path):
    url = server.serve_files("/a/", {STORED: CONTENT})
    assert fetch([url], tmp_path, name=STORED).read_bytes() == CONTENT


def test_checksum_mismatch_is_not_retried_and_next_mirror_serves(server, tmp_path):
    bad = server.serve_files("/bad/", {NAME: corrupt(CONTENT)})
    good = server.serve_files("/good/", {NAME: GZ})
    assert fetch([bad, good], tmp_path, retries=3).read_bytes() == CONTENT
    assert server.requests == ["/bad/" + NAME, "/good/" + NAME]
    assert files_in(tmp_path) == [STORED]


@pytest.mark.parametrize("reply", [
    Reply(body=GZ[: len(GZ) // 2], length=len(GZ)),  # the peer closes before Content-Length
    Reply(body=GZ[: len(GZ) // 2]),                  # a consistent but cut gzip stream
], ids=["short-body", "cut-gzip"])
def test_truncated_download_is_retried_then_next_mirror(server, tmp_path, reply):
    server.routes["/cut/" + NAME] = [reply]
    good = server.serve_files("/good/", {NAME: GZ})
    assert fetch([server.url("/cut/"), good], tmp_path, retries=2).read_bytes() == CONTENT
    assert server.requests == ["/cut/" + NAME] * 2 + ["/good/" + NAME]
    assert files_in(tmp_path) == [STORED]


def test_truncated_plain_file_is_detected(server, tmp_path):
    server.routes["/cut/" + STORED] = [Reply(body=CONTENT[:1000], length=len(CONTENT))]
    with pytest.raises(DownloadError, match=r"(?i)incomplete ?read"):
        fetch([server.url("/cut/")], tmp_path, name=STORED)
    assert files_in(tmp_path) == []


def test_server_error_is_retried_on_the_same_mirror(server, tmp_path):
    server.routes["/a/" + NAME] = [Reply(status=503), Reply(body=GZ)]
    assert fetch([server.url("/a/")], tmp_path, retries=2).read_bytes() == CONTENT
    assert server.requests == ["/a/" + NAME] * 2


def test_not_found_goes_to_next_mirror_at_once(server, tmp_path):
    good = server.serve_files("/good/", {NAME: GZ})
    fetch([server.url("/missing/"), good], tmp_path, retries=3)
    assert server.requests == ["/missing/" + NAME, "/good/" + NAME]


def test_timeout_is_retried_then_next_mirror(server, tmp_path):
    server.routes["/slow/" + NAME] = [Reply(body=GZ, delay_s=0.5)]
    good = server.serve_files("/good/", {NAME: GZ})
    assert fetch([server.url("/slow/"), good], tmp_path, retries=2, timeout_s=0.1).is_file()
    assert server.requests == ["/slow/" + NAME] * 2 + ["/good/" + NAME]


def test_all_mirrors_failing_lists_every_url_and_leaves_nothing(server, tmp_path):
    server.routes["/cut/" + NAME] = [Reply(body=GZ[:50], length=len(GZ))]
    server.serve_files("/bad/", {NAME: corrupt(CONTENT)})
    empty_folder = tmp_path / "empty"
    empty_folder.mkdir()
    down = dead_url()
    dest = tmp_path / "raw"
    mirrors = [server.url("/missing/"), server.url("/bad/"), down, server.url("/cut/"),
               str(empty_folder)]
    with pytest.raises(DownloadError) as caught:
        fetch(mirrors, dest)
    message = str(caught.value)
    for base in mirrors:
        assert download.as_url(base).rstrip("/") + "/" + NAME in message
    for reason in ("HTTP 404", "SHA-256 mismatch", "ConnectionRefusedError",
                   "after 2 attempts", "FileNotFoundError"):
        assert reason in message
    assert files_in(dest) == []


def test_no_mirror_at_all_is_an_error(tmp_path):
    with pytest.raises(DownloadError, match="no mirror given"):
        fetch([], tmp_path)


@pytest.mark.parametrize("as_uri", [False, True], ids=["folder", "file-url"])
def test_local_mirror(tmp_path, as_uri):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / NAME).write_bytes(GZ)
    base = mirror.as_uri() if as_uri else str(mirror)
    assert fetch([base], tmp_path / "raw").read_bytes() == CONTENT


def test_present_verified_file_is_not_fetched_again(server, tmp_path):
    (tmp_path / STORED).write_bytes(CONTENT)
    url = server.serve_files("/a/", {NAME: GZ})
    assert fetch([url], tmp_path).read_bytes() == CONTENT
    assert server.requests == []


def test_present_corrupt_file_is_replaced(server, tmp_path):
    (tmp_path / STORED).write_bytes(b"half a file")
    url = server.serve_files("/a/", {NAME: GZ})
    assert fetch([url], tmp_path).read_bytes() == CONTENT
    assert server.requests == ["/a/" + NAME]


def test_each_attempt_is_logged_once(server, tmp_path, caplog):
    server.routes["/a/" + NAME] = [Reply(status=500), Reply(body=GZ)]
    with caplog.at_level(logging.INFO, logger="rectifier.data"):
        fetch([server.url("/a/")], tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.name == "rectifier.data"]
    assert len(lines) == 2
    assert "attempt 1/2" in lines[0] and "HTTP 500" in lines[0]
    assert "attempt 2/2" in lines[1] and "verified" in lines[1]


def test_mirror_order_is_params_then_env_then_public(monkeypatch):
    monkeypatch.setenv(download.ENV_MIRRORS, " http://env1/\n/srv/env2 ")
    order = download.mirrors(["http://user/"], ["http://public/", "http://user/set/"], "set")
    assert order == ["http://user/set/", "http://env1/set/", "/srv/env2/set/", "http://public/"]


def test_env_mirror_is_used(monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "set").mkdir(parents=True)
    (mirror / "set" / NAME).write_bytes(GZ)
    monkeypatch.setenv(download.ENV_MIRRORS, str(mirror))
    urls = download.mirrors([], [dead_url()], "set")
    assert fetch(urls, tmp_path / "raw", retries=1).read_bytes() == CONTENT


def test_stored_name_drops_gz_and_folders():
    assert download.stored_name("sub/train-images-idx3-ubyte.gz") == "train-images-idx3-ubyte"


def test_sha1_of_the_file_as_served_keeps_it_compressed(server, tmp_path):
    url = server.serve_files("/a/", {NAME: GZ})
    good = "sha1:" + hashlib.sha1(GZ).hexdigest()
    path = download.fetch(NAME, good, [url], tmp_path, retries=1, gunzip=False)
    assert path.name == NAME and path.read_bytes() == GZ
    wrong = "sha1:" + "0" * 40
    with pytest.raises(DownloadError, match="SHA-1 mismatch"):
        download.fetch(NAME, wrong, [url], tmp_path / "other", retries=1, gunzip=False)
    assert files_in(tmp_path / "other") == []


@pytest.mark.parametrize("checksum", ["md5:" + "0" * 32, "sha1:" + "0" * 39, "xyz"])
def test_malformed_checksum_is_refused_before_any_download(server, tmp_path, checksum):
    with pytest.raises(ValueError, match="expected sha256:<64 hex digits>"):
        download.fetch(NAME, checksum, [server.url("/a/")], tmp_path)
    assert server.requests == []


def test_stale_partial_download_of_a_killed_job_is_removed(server, tmp_path):
    url = server.serve_files("/a/", {NAME: GZ})
    (tmp_path / f".{STORED}.abc.part").write_bytes(b"half")
    fetch([url], tmp_path)
    assert files_in(tmp_path) == [STORED]
