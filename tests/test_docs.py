"""The docs keep up with the code: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.cli import main
from bridge.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting) -> None:
    assert f"`BRIDGE_{setting.name}`" in (ROOT / "docs/settings.md").read_text()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert f"otwa-bridge {command}" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_has_help(command: str) -> None:
    assert (main.commands[command].help or "").strip()
