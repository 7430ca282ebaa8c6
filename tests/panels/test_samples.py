"""Every sample body in webhooks/samples validates against its panel's schema and adapts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bridge.commands import ACTIONS
from bridge.panels import ADAPTERS, PanelConfig, schemas

SAMPLES = Path(__file__).resolve().parents[2] / "webhooks" / "samples"
FILES = sorted(SAMPLES.glob("*/*.json"))


def _panel(name: str):  # noqa: ANN202 - a Panel of the adapter called ``name``
    return ADAPTERS[name](PanelConfig(name=name, adapter=name))


def test_there_is_a_sample_per_action_per_panel() -> None:
    for panel in ("generic", "whmcs"):
        assert {f.stem for f in (SAMPLES / panel).glob("*.json")} == set(ACTIONS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_validates_and_becomes_its_command(path: Path) -> None:
    panel = path.parent.name
    body = json.loads(path.read_text())
    adapter = _panel(panel)
    action = adapter.action_of(body)
    assert action == path.stem
    body = {**body, "action": action}
    assert adapter.schema_errors(body) == []
    command = adapter.to_command(body, webhook_id="msg_1", request_id="r1")
    assert (command.action, command.panel, command.request_id) == (path.stem, panel, "r1")
    assert command.service_id


@pytest.mark.parametrize("path", sorted((SAMPLES / "generic").glob("*.json")), ids=str)
def test_generic_samples_also_validate_for_whmcs(path: Path) -> None:
    assert _panel("whmcs").schema_errors(json.loads(path.read_text())) == []


@pytest.mark.parametrize("name", ["generic.schema.json", "whmcs.schema.json"])
def test_schema_files_are_valid_draft_2020_12(name: str) -> None:
    schema = schemas.schema(name)
    Draft202012Validator.check_schema(schema)  # raises SchemaError when it is not
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(name)


def test_the_repository_schema_folder_is_the_packaged_one() -> None:
    for path in (SAMPLES.parent / "schema").glob("*.schema.json"):
        assert json.loads(path.read_text()) == schemas.schema(path.name)


def test_schema_action_enum_is_the_pinned_action_list() -> None:
    assert schemas.schema("generic.schema.json")["$defs"]["action"]["enum"] == list(ACTIONS)
