"""Files the bridge keeps are private to the user it runs as.

Contract: a directory the bridge creates is mode 0700 and a file it creates is 0600,
whatever the umask. The SQLite databases (operations, ledger, SSO links; the rate-limit
budget) are pre-created 0600 before SQLite opens them, because SQLite creates ``-wal``
and ``-shm`` with the permissions of the database file itself: a private main file gives
private companions. A database left 0644 by an older version is tightened when opened.
Directories that already exist (``/tmp``, a volume's mount point) are never changed: the
bridge only owns what it made.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` and any missing parents, each new one 0700; the path."""
    folder = Path(path)
    missing: list[Path] = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for new in reversed(missing):
        try:
            new.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it meanwhile
            continue
        new.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder 0700 when
    new); an existing file keeps its content and loses any group/other bits. The path."""
    file = Path(path)
    private_dir(file.parent)
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        tighten(file)
    else:
        os.close(fd)
        file.chmod(PRIVATE_FILE)  # os.open's mode is filtered by the umask too
    return file


def tighten(path: str | os.PathLike[str]) -> None:
    """Drop group and other permission bits of an existing file we own (no-op otherwise)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if info.st_mode & 0o077 and info.st_uid == os.geteuid():
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)


def write_private(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` (replacing it) with mode 0600 from the first byte: the
    content never exists in a file others can read."""
    file = private_file(path)
    with open(file, "w", encoding="utf-8") as handle:
        handle.write(text)
    return file


def sqlite_companions(path: str | os.PathLike[str]) -> list[Path]:
    """The database file and the ``-wal``/``-shm``/``-journal`` files beside it."""
    base = Path(path)
    return [base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal"))]
