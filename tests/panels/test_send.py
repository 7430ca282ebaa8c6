"""The envelope and argument parsing behind `otwa-bridge send`."""

from __future__ import annotations

import pytest

from bridge.panels import ADAPTERS, PanelConfig
from bridge.panels.send import envelope, pairs


def test_pairs_are_strings_unless_typed_with_colon_equals() -> None:
    got = pairs(["label=007", "grace_seconds:=0", 'invoice:={"id": "1"}', "a=b=c"], "--param")
    assert got == {"label": "007", "grace_seconds": 0, "invoice": {"id": "1"}, "a": "b=c"}


@pytest.mark.parametrize("bad", ["novalue", "=x", "k:={oops"])
def test_bad_pairs_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        pairs([bad], "--param")


def test_envelope_is_schema_valid_for_every_panel() -> None:
    body = envelope(
        "terminate",
        "1042",
        product="1",
        client="77",
        options={"OS": "x"},
        params={"grace_seconds": 0},
    )
    assert body == {
        "action": "terminate",
        "service": {"id": "1042", "product_id": "1", "options": {"OS": "x"}},
        "client": {"id": "77"},
        "params": {"grace_seconds": 0},
    }
    assert ADAPTERS["generic"](PanelConfig("generic", "generic")).schema_errors(body) == []
    assert ADAPTERS["whmcs"](PanelConfig("whmcs", "whmcs")).schema_errors(body) == []
