"""The bridge's own OpenAPI document: valid OpenAPI 3.1, served as checked in, and its
hook body schema is the one the intake enforces."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openapi_spec_validator import validate

from bridge import create_app
from bridge.web import openapi

ROOT = Path(__file__).resolve().parents[2]


def test_the_served_document_is_the_checked_in_one(tmp_path: Path) -> None:
    app = create_app(
        {
            "DATABASE": str(tmp_path / "bridge.sqlite"),
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        }
    )
    served = app.test_client().get("/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    checked_in = (ROOT / "docs" / "openapi.json").read_text()
    assert served.get_data(as_text=True) == checked_in, (
        "docs/openapi.json is stale: run `otwa-bridge openapi > docs/openapi.json`"
    )


def test_it_is_valid_openapi_3_1() -> None:
    document = json.loads(openapi.text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_it_describes_every_route_of_the_bridge(tmp_path: Path) -> None:
    app = create_app(
        {
            "DATABASE": str(tmp_path / "bridge.sqlite"),
            "OTWA_BUDGET_PATH": str(tmp_path / "budget.sqlite"),
        }
    )
    documented = set(openapi.document()["paths"])
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        if path.startswith("/admin") and not path.startswith("/admin/api"):
            continue  # HTML pages for browsers
        if path.startswith("/static") or path == "/sso/":
            continue  # /sso/ is /sso/{token}'s page for an empty token
        assert path in documented, f"{rule.rule} is not in the OpenAPI document"


def test_the_hook_body_refs_resolve_inside_the_document() -> None:
    text = openapi.text()
    assert "otwa-bridge.invalid" not in text and '"$ref": "generic.schema.json' not in text
