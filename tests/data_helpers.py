"""Helpers for the data tests: tiny IDX files, and a real HTTP server on 127.0.0.1.

The server serves scripted replies per path (good, corrupt, truncated, slow, error codes) and
records every request, so a test can tell what was fetched and how often.
"""
from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

FILE_NAMES = {"train_images": "tiny-train-images-idx3-ubyte.gz",
              "train_labels": "tiny-train-labels-idx1-ubyte.gz",
              "test_images": "tiny-t10k-images-idx3-ubyte.gz",
              "test_labels": "tiny-t10k-labels-idx1-ubyte.gz"}


def idx_bytes(array: np.ndarray) -> bytes:
    """An array as an unsigned-byte IDX file."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.tobytes()


def gzipped(blob: bytes) -> bytes:
    return gzip.compress(blob, mtime=0)


def sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


@dataclass
class TinySet:
    """30 training and 10 test images of 4x4, labels in 0..2, as the four IDX files."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int = 3

    def raw(self) -> dict[str, bytes]:
        """Decompressed IDX content by file key."""
        return {"train_images": idx_bytes(self.x_train), "train_labels": idx_bytes(self.y_train),
                "test_images": idx_bytes(self.x_test), "test_labels": idx_bytes(self.y_test)}

    def files(self) -> dict[str, bytes]:
        """Gzipped content by published file name, as a mirror serves it."""
        return {FILE_NAMES[key]: gzipped(blob) for key, blob in self.raw().items()}

    def entry(self, urls: list[str], valid_size: int = 5) -> dict:
        """This set as params.yaml's data.idx.<name>."""
        return {"urls": urls, "files": dict(FILE_NAMES), "classes": self.classes,
                "sha256": {key: sha256(blob) for key, blob in self.raw().items()},
                "valid_size": valid_size}

    def write(self, folder: Path) -> Path:
        """The gzipped files in a folder (a local mirror)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, blob in self.files().items():
            (folder / name).write_bytes(blob)
        return folder


def tiny_set(seed: int = 0) -> TinySet:
    rng = np.random.default_rng(seed)
    return TinySet(x_train=rng.integers(0, 256, (30, 4, 4)), y_train=rng.integers(0, 3, 30),
                   x_test=rng.integers(0, 256, (10, 4, 4)), y_test=rng.integers(0, 3, 10))


@dataclass
class Reply:
    """One scripted response. `length` overrides Content-Length (to fake a cut connection)."""
    status: int = 200
    body: bytes = b""
    length: int | None = None
    delay_s: float = 0.0


@dataclass
class Server:
    base: str
    routes: dict[str, list[Reply]] = field(default_factory=dict)  # replies in order, last repeats
    requests: list[str] = field(default_factory=list)

    def url(self, prefix: str = "/") -> str:
        return self.base + prefix

    def serve_files(self, prefix: str, files: dict[str, bytes]) -> str:
        """Serve `files` under prefix; return that mirror's base URL."""
        for name, blob in files.items():
            self.routes[prefix + name] = [Reply(body=blob)]
        return self.url(prefix)

    def next_reply(self, path: str) -> Reply:
        self.requests.append(path)
        replies = self.routes.get(path, [Reply(status=404, body=b"not found")])
        return replies.pop(0) if len(replies) > 1 else replies[0]


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = server.next_reply(self.path)
            time.sleep(reply.delay_s)
            try:
                self.send_response(reply.status)
                length = len(reply.body) if reply.length is None else reply.length
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

    return Handler


@contextmanager
def serve() -> Iterator[Server]:
    """A ThreadingHTTPServer on an ephemeral 127.0.0.1 port, shut down on exit."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = Server(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    # A short poll interval makes shutdown() quick.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def dead_url() -> str:
    """A URL on a 127.0.0.1 port where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
