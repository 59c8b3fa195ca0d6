"""Tar archives fetched from the internet, opened without trusting their member list.

Every member is checked before anything is written: only plain files and folders, with relative
paths that stay inside the target folder. Absolute paths, `..`, links (a link may point anywhere)
and devices are refused with an ArchiveError naming the archive and the member. extract() unpacks
into a temporary folder beside the target and renames it into place, so a failed extraction
leaves nothing that looks finished.
"""
from __future__ import annotations

import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath


class ArchiveError(ValueError):
    """An archive is unreadable or holds a member that could escape its folder."""


def check(archive: Path, member: tarfile.TarInfo) -> None:
    """Raise ArchiveError unless `member` is a plain file or folder that stays inside."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or "\\" in member.name:
        raise ArchiveError(f"{archive}: member {member.name!r} would land outside the target "
                           "folder; refused")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"{archive}: member {member.name!r} is a link or a device, not a "
                           "plain file; refused")


def extract(archive: Path, target: Path) -> Path:
    """Unpack `archive` into `target` (made atomically, reused when already there)."""
    target = Path(target)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.part"):    # left by a killed job
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    try:
        with _open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                check(archive, member)
            # The data filter re-checks every member on extraction (defence in depth).
            tar.extractall(tmp, members=members, filter="data")
        tmp.rename(target)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise ArchiveError(f"{archive}: cannot be unpacked: {err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def files(archive: Path) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each plain file, in archive order, without writing anything. Names are
    normalised (`./a/b` is `a/b`). For archives of small members, as the Amazon reviews."""
    try:
        with _open(archive) as tar:
            for member in tar:
                check(archive, member)
                if member.isfile():
                    yield PurePosixPath(member.name).as_posix(), tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise ArchiveError(f"{archive}: cannot be read: {err}") from None


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as err:
        raise ArchiveError(f"{archive}: not a readable tar archive: {err}") from None
