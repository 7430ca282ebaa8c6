"""Files under var/ are the bridge's own: databases (and their -wal/-shm), the budget file,
var/dev.env and process logs are created 0600, folders 0700, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge import store
from bridge.devstack import dev_secrets
from bridge.files import private_dir, private_file, write_private
from bridge.otwa.budget import Budget


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The worst case: a umask that lets everyone read what is created."""
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_and_shm_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "var" / "deep" / "bridge.sqlite"
    db = store.connect(path, migrate=True)
    with store.write(db):
        db.execute("CREATE TABLE probe (x)")
    files = {p.name: mode(p) for p in path.parent.iterdir()}
    db.close()
    assert {"bridge.sqlite", "bridge.sqlite-wal", "bridge.sqlite-shm"} <= set(files)
    assert set(files.values()) == {0o600}, files
    assert mode(tmp_path / "var") == mode(path.parent) == 0o700


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    store.connect(tmp_path / "bridge.sqlite").close()
    assert mode(tmp_path) == 0o755
    assert mode(tmp_path / "bridge.sqlite") == 0o600


def test_a_database_left_0644_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite"
    db = store.connect(path, migrate=True)
    db.close()
    for name in ("bridge.sqlite", "bridge.sqlite-wal", "bridge.sqlite-shm"):
        if (tmp_path / name).exists():
            (tmp_path / name).chmod(0o644)
    db = store.connect(path)
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0  # data kept
    db.close()
    assert {mode(p) for p in tmp_path.iterdir()} == {0o600}


def test_the_budget_file_and_its_companions_are_0600(tmp_path: Path) -> None:
    budget = Budget(tmp_path / "var" / "otwa-budget.sqlite", limit=10, window=60)
    budget.acquire("some-key", priority="background", wait=0)
    names = {p.name: mode(p) for p in (tmp_path / "var").iterdir()}
    assert "otwa-budget.sqlite" in names
    assert set(names.values()) == {0o600}, names
    assert mode(tmp_path / "var") == 0o700


def test_dev_env_is_0600_from_its_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dev.env"
    values = dev_secrets(path)
    assert values and mode(path) == 0o600 and mode(path.parent) == 0o700
    assert all(v in path.read_text() for v in values.values())


def test_private_helpers(tmp_path: Path) -> None:
    folder = private_dir(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == mode(folder) == 0o700
    file = private_file(folder / "f")
    assert mode(file) == 0o600 and file.read_text() == ""
    file.write_text("kept")
    file.chmod(0o664)
    private_file(file)
    assert mode(file) == 0o600 and file.read_text() == "kept"
    write_private(folder / "g", "secret")
    assert mode(folder / "g") == 0o600
