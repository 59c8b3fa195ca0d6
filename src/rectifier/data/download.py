"""Fetch one file from a list of mirrors, verified by SHA-256, without leaving partial files.

Mirrors are base URLs (http, https, file) or local folders. Each is tried in order: transient
failures (connection errors, timeouts, truncated bodies, HTTP 5xx/408/429) are retried with a
short backoff; anything a retry cannot heal (404, 403, a wrong checksum) moves on to the next
mirror at once. A `.gz` file is decompressed while it streams and stored without the suffix,
since its checksum is of the decompressed content and readers want the plain bytes; with
gunzip=False it is stored as served and its checksum is of the bytes served (the form published
for CIFAR10 and NORB). A checksum is "sha256:<hex>", "sha1:<hex>" or a bare SHA-256.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger("rectifier.data")

ENV_MIRRORS = "RECTIFIER_DATA_MIRRORS"
_CHUNK = 1 << 20
_TRANSIENT_STATUS = {408, 425, 429}  # and every 5xx
_DIGEST_SIZES = {"sha256": 64, "sha1": 40}
_LABELS = {"sha256": "SHA-256", "sha1": "SHA-1"}
# file:// failures that waiting will not fix.
_LOCAL_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


class DownloadError(RuntimeError):
    """No mirror delivered the file; the message lists every URL tried and why it failed."""


class _Retry(Exception):
    """This attempt failed in a way that may heal: try the same URL again."""


class _Skip(Exception):
    """This mirror cannot deliver the file: go to the next one."""


def mirrors(user: Iterable[str], public: Iterable[str], name: str) -> list[str]:
    """Base URLs in the order to try: params' data.mirrors, $RECTIFIER_DATA_MIRRORS, then the
    data set's public ones. A user mirror holds one folder per data set (<mirror>/<name>/), so one
    mirror serves every data set, as ../shared/datasets does."""
    env = os.environ.get(ENV_MIRRORS, "").split()
    local = [f"{base.rstrip('/')}/{name}/" for base in [*user, *env]]
    return list(dict.fromkeys([*local, *public]))  # drop repeats, keep first position


def fetch_set(name: str, public: Iterable[str], checksums: Mapping[str, str | None],
              dest_dir: str | Path, data: Mapping[str, Any], gunzip: bool = True) -> dict[str, Path]:
    """Fetch each file of data set `name` (file name -> checksum) through the mirrors params.yaml's
    data section gives, then the public ones; return file name -> local path."""
    urls = mirrors(data["mirrors"], public, name)
    return {file: fetch(file, checksum, urls, dest_dir, retries=data["retries"],
                        timeout_s=data["timeout_s"], gunzip=gunzip)
            for file, checksum in checksums.items()}


def as_url(base: str) -> str:
    """A mirror as a URL: a local folder becomes file://."""
    return base if "://" in base else Path(base).expanduser().resolve().as_uri()


def stored_name(file_name: str, gunzip: bool = True) -> str:
    """The local name of a fetched file: its base name, without `.gz` when stored decompressed."""
    name = Path(file_name).name
    return name.removesuffix(".gz") if gunzip else name


def parse_checksum(checksum: str) -> tuple[str, str]:
    """(algorithm, hex digest) of "sha256:<hex>", "sha1:<hex>" or a bare SHA-256."""
    algorithm, _, digest = checksum.lower().rpartition(":")
    algorithm = algorithm or "sha256"
    if algorithm not in _DIGEST_SIZES or len(digest) != _DIGEST_SIZES[algorithm] \
            or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"checksum {checksum!r}: expected sha256:<64 hex digits>, "
                         "sha1:<40 hex digits> or 64 hex digits")
    return algorithm, digest


def digest_file(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(file_name: str, checksum: str | None, base_urls: Sequence[str], dest_dir: str | Path,
          retries: int = 3, timeout_s: float = 60.0, backoff_s: float = 0.5,
          gunzip: bool = True) -> Path:
    """Make `dest_dir/stored_name(file_name)` hold the verified file; return its path.

    A file already there whose checksum matches is kept and nothing is fetched. Without a
    checksum (none published) the file is taken as served and its SHA-256 logged, to be pinned.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    gunzip = gunzip and file_name.endswith(".gz")
    final = dest_dir / stored_name(file_name, gunzip)
    algorithm, expected = parse_checksum(checksum) if checksum else ("sha256", None)
    if final.is_file() and (expected is None or digest_file(final, algorithm) == expected):
        log.info("%s: present and verified, not fetched again", final)
        return final
    final.unlink(missing_ok=True)  # a stale or corrupt copy must not pass for a finished one
    for part in dest_dir.glob(f".{final.name}.*.part"):   # left by a killed job
        part.unlink(missing_ok=True)
    failures = []
    for base in base_urls:
        url = as_url(base).rstrip("/") + "/" + file_name
        reason = _from_mirror(url, final, (algorithm, expected), gunzip, retries, timeout_s,
                              backoff_s)
        if reason is None:
            if expected is None:
                log.warning("%s: no checksum to verify it by; its SHA-256 is %s (pin it under "
                            "data.checksums in params.yaml)", file_name, digest_file(final))
            return final
        failures.append(f"  {url}: {reason}")
    tried = "\n".join(failures) or "  (no mirror given)"
    wanted = f"{_LABELS[algorithm]} {expected}" if expected else "no checksum"
    raise DownloadError(f"could not fetch {file_name} ({wanted}); tried:\n{tried}")


def _from_mirror(url: str, final: Path, checksum: tuple[str, str], gunzip: bool, retries: int,
                 timeout_s: float, backoff_s: float) -> str | None:
    """Fetch url into final, retrying transient failures; None on success, else why it failed."""
    reason = "not tried"
    for attempt in range(1, retries + 1):
        try:
            _attempt(url, final, checksum, gunzip, timeout_s)
        except _Skip as err:
            log.warning("%s (attempt %d/%d): %s; next mirror", url, attempt, retries, err)
            return str(err)
        except _Retry as err:
            log.warning("%s (attempt %d/%d): %s", url, attempt, retries, err)
            reason = f"{err} (after {attempt} attempts)"
            if attempt < retries:
                time.sleep(backoff_s * attempt)
            continue
        log.info("%s (attempt %d/%d): fetched and verified -> %s", url, attempt, retries, final)
        return None
    return reason


def _attempt(url: str, final: Path, checksum: tuple[str, str], gunzip: bool,
             timeout_s: float) -> None:
    """One download into a temp file beside `final`, renamed only once its checksum matches."""
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    algorithm, expected = checksum
    try:
        got = _download(url, tmp, timeout_s, gunzip, algorithm)
        if expected is not None and got != expected:
            raise _Skip(f"{_LABELS[algorithm]} mismatch: got {got}, expected {expected}")
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, tmp: Path, timeout_s: float, gunzip: bool, algorithm: str) -> str:
    """Stream url into tmp; return the digest of what was written. Errors become _Retry/_Skip."""
    try:
        return _stream(url, tmp, timeout_s, gunzip, algorithm)
    except urllib.error.HTTPError as err:
        transient = err.code >= 500 or err.code in _TRANSIENT_STATUS
        raise (_Retry if transient else _Skip)(f"HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        # Network errors may heal; a missing local file or an unknown scheme will not.
        healing = isinstance(err.reason, OSError) and not isinstance(err.reason, _LOCAL_ERRORS)
        raise (_Retry if healing else _Skip)(_describe(err.reason)) from None
    except (gzip.BadGzipFile, zlib.error) as err:  # not gzip at all: this mirror serves junk
        raise _Skip(f"not a valid gzip stream: {_describe(err)}") from None
    except (OSError, EOFError, http.client.HTTPException) as err:  # timeouts, resets, cut streams
        raise _Retry(_describe(err)) from None


def _stream(url: str, tmp: Path, timeout_s: float, gunzip: bool, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with urllib.request.urlopen(url, timeout=timeout_s) as resp, open(tmp, "wb") as out:
        body = _Counted(resp)
        source = gzip.GzipFile(fileobj=body, mode="rb") if gunzip else body
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        # http.client returns a short body without complaint when the peer closes early.
        expected = resp.headers.get("Content-Length")
        if expected is not None and body.count != int(expected):
            raise _Retry(f"incomplete read: {body.count} of {expected} bytes")
    return digest.hexdigest()


class _Counted:
    """A readable that counts the bytes read through it (to check Content-Length)."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.count = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


def _describe(reason: object) -> str:
    return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
