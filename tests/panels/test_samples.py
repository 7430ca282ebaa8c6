"""Every sample body in webhooks/samples validates against its panel's schema and adapts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.panels import registry, schemas
from bridge.provisioning.commands import ACTIONS

SAMPLES = Path(__file__).resolve().parents[2] / "webhooks" / "samples"
FILES = sorted(SAMPLES.glob("*/*.json"))


def test_there_is_a_sample_per_action_per_panel() -> None:
    for panel in ("generic", "whmcs"):
        assert {f.stem for f in (SAMPLES / panel).glob("*.json")} == set(ACTIONS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_validates_and_becomes_its_command(path: Path) -> None:
    panel = path.parent.name
    body = json.loads(path.read_text())
    adapter = registry.adapter(panel)
    action = adapter.action_of(body)
    assert action == path.stem
    body = {**body, "action": action}
    assert registry.schema_errors(panel, body) == []
    command = adapter.to_command(panel, body, webhook_id="msg_1", request_id="r1")
    assert (command.action, command.panel, command.request_id) == (path.stem, panel, "r1")
    assert command.service_id


@pytest.mark.parametrize("path", sorted((SAMPLES / "generic").glob("*.json")), ids=str)
def test_generic_samples_also_validate_for_whmcs(path: Path) -> None:
    assert registry.schema_errors("whmcs", json.loads(path.read_text())) == []


def test_schema_files_are_valid_draft_2020_12() -> None:
    assert schemas.schema("generic.schema.json")["$id"].endswith("generic.schema.json")
    assert schemas.schema("whmcs.schema.json")["anyOf"]


def test_schema_action_enum_is_the_pinned_action_list() -> None:
    assert schemas.schema("generic.schema.json")["$defs"]["action"]["enum"] == list(ACTIONS)
