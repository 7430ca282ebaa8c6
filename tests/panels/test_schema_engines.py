"""The compiled validator (fastjsonschema, every hook) and the reference one (jsonschema,
the explanations) agree on every sample and every refusal case, for both schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.panels import schemas

SAMPLES = Path(__file__).resolve().parents[2] / "webhooks" / "samples"
SCHEMAS = ("generic.schema.json", "whmcs.schema.json")


def _samples() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(SAMPLES.glob("*/*.json")):
        body = json.loads(path.read_text())
        if path.parent.name == "whmcs":  # the adapter resolves WHMCS spellings first
            from bridge.panels.whmcs import ALIASES

            body["action"] = ALIASES.get(body["action"], body["action"])
        out.append((f"{path.parent.name}/{path.name}", body))
    return out


def _agree(name: str, body: Any) -> bool:
    fast = schemas.is_valid(name, body)
    reference = not schemas.explain(name, body)
    assert fast == reference, f"{name}: compiled says {fast}, jsonschema says {reference}"
    return fast


@pytest.mark.parametrize(("label", "body"), _samples(), ids=[s[0] for s in _samples()])
def test_every_sample_is_valid_for_both_engines(label: str, body: dict[str, Any]) -> None:
    name = "generic.schema.json" if label.startswith("generic/") else "whmcs.schema.json"
    assert _agree(name, body)


def _generic() -> dict[str, Any]:
    return json.loads((SAMPLES / "generic" / "create.json").read_text())


REFUSALS: list[tuple[str, Any]] = [
    ("not an object", []),
    ("no action", {"service": {"id": "1"}, "client": {"id": "1"}}),
    ("unknown action", {"action": "explode", "service": {"id": "1"}, "client": {"id": "1"}}),
    ("no client", {"action": "create", "service": {"id": "1"}}),
    ("id with a space", {"action": "create", "service": {"id": "a b"}, "client": {"id": "1"}}),
    ("id with a newline", {"action": "create", "service": {"id": "nl-1\n"}, "client": {"id": "1"}}),
    ("negative id", {"action": "create", "service": {"id": -1}, "client": {"id": "1"}}),
    ("options not scalar", {"action": "create", "service": {"id": "1", "options": {"a": []}},
                            "client": {"id": "1"}}),
    ("power without params", {"action": "power", "service": {"id": "1"}, "client": {"id": "1"}}),
    ("power bad action", {"action": "power", "service": {"id": "1"}, "client": {"id": "1"},
                          "params": {"action": "explode"}}),
    ("rename bad label", {"action": "rename", "service": {"id": "1"}, "client": {"id": "1"},
                          "params": {"label": "-x"}}),
    ("addon bad type", {"action": "add_addon", "service": {"id": "1"}, "client": {"id": "1"},
                        "params": {"type": "gpu"}}),
    ("grace too long", {"action": "terminate", "service": {"id": "1"}, "client": {"id": "1"},
                        "params": {"grace_seconds": 99999999}}),
    ("validate for what", {"action": "validate", "service": {"id": "1"}, "client": {"id": "1"},
                           "params": {"for": "terminate"}}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body"), REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("name", SCHEMAS)
def test_every_refusal_case_is_refused_by_both_engines(name: str, case: str, body: Any) -> None:
    assert not _agree(name, body)


def _mutations() -> st.SearchStrategy[tuple[str, Any]]:
    """A sample with one value replaced by something else (any JSON-ish value)."""
    values = st.recursive(
        st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2)
        ),
        max_leaves=4,
    )
    keys = ["action", "service", "client", "params", "id", "options", "product_id",
            "hostname", "label", "type", "for"]  # fmt: skip
    return st.tuples(st.sampled_from(keys), values)


def _replace(body: Any, key: str, value: Any) -> Any:
    body = copy.deepcopy(body)
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if key in node:
                node[key] = value
                return body
            stack.extend(node.values())
    body[key] = value
    return body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_samples()), _mutations())
def test_the_engines_agree_on_mutated_samples(sample: Any, mutation: tuple[str, Any]) -> None:
    label, body = sample
    mutated = _replace(body, *mutation)
    for name in SCHEMAS:
        _agree(name, mutated)
