"""Generated hook bodies with valid signatures (garbage, huge numbers, deep nesting,
unicode, trailing newlines, near-valid envelopes): each gets a clear answer in the JSON
shape (a 4xx refusal, or the correct result of a well-formed hook) and a refused one
changes nothing. 500 examples by default; ``HOOK_PROPERTY_EXAMPLES=10000`` for the full
run (the slow marker)."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bridge import create_app
from bridge.commands import ACTIONS
from tests.web import hookkit as k

EXAMPLES = int(os.environ.get("HOOK_PROPERTY_EXAMPLES", "500"))

nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["nl-1\n", "web1.example.com\n", "a\r\nb", "\u202e", "ｗｅｂ", "", " ", "0" * 70]
    ),
    st.from_regex(r"[A-Za-z0-9_-]{1,64}\n?", fullmatch=True),
)
ids = st.one_of(nasty_text, st.integers(min_value=-(10**80), max_value=10**80))
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), ids),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {
        "action": st.one_of(st.sampled_from(ACTIONS), nasty_text),
        "service": st.one_of(
            st.fixed_dictionaries(
                {"id": ids},
                optional={
                    "product_id": st.one_of(st.sampled_from(["1", "2", 1]), ids),
                    "options": st.dictionaries(
                        st.sampled_from(["Operating System", "Location", "Backups", "x"]),
                        st.one_of(
                            st.sampled_from(["Ubuntu 24.04", "Istanbul", "Daily"]), nasty_text
                        ),
                        max_size=3,
                    ),
                    "hostname": nasty_text,
                },
            ),
            values,
        ),
        "client": st.one_of(st.fixed_dictionaries({"id": ids}), values),
    },
    optional={"params": st.dictionaries(st.text(max_size=12), values, max_size=4)},
).map(lambda body: json.dumps(body).encode())
good_id = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
params_for = {
    "power": st.fixed_dictionaries({"action": st.sampled_from(["start", "stop", "reboot", "x"])}),
    "rename": st.fixed_dictionaries({"label": st.one_of(good_id, nasty_text)}),
    "add_addon": st.fixed_dictionaries(
        {"type": st.sampled_from(["extra-ip", "ip-class", "backup"])}
    ),
    "terminate": st.fixed_dictionaries({"grace_seconds": st.integers(0, 5)}),
    "sso": st.fixed_dictionaries({"next": st.sampled_from(["/", "/billing", "/a/b", "/x\r\n"])}),
    "reinstall": st.fixed_dictionaries({"os": st.sampled_from(["Debian 12", "ubuntu-24.04", ""])}),
    "validate": st.fixed_dictionaries({"for": st.sampled_from(["create", "change_package"])}),
    "invoice_paid": st.fixed_dictionaries(
        {
            "invoice": st.fixed_dictionaries(
                {
                    "id": good_id,
                    "amount": st.sampled_from(["12.50", "1"]),
                    "currency": st.just("EUR"),
                }
            )
        }
    ),
}
wellformed = (
    st.sampled_from(ACTIONS)
    .flatmap(
        lambda action: st.fixed_dictionaries(
            {
                "action": st.just(action),
                "service": st.fixed_dictionaries(
                    {
                        "id": st.sampled_from(["1", "2", "3"]) | good_id,
                        "product_id": st.sampled_from(["1", "2", "9"]),
                        "options": st.fixed_dictionaries(
                            {},
                            optional={
                                "Operating System": st.sampled_from(
                                    ["Ubuntu 24.04", "Debian 12", "x"]
                                ),
                                "Location": st.sampled_from(["Istanbul", "Frankfurt", "Mars"]),
                                "Backups": st.sampled_from(["Daily", "None"]),
                            },
                        ),
                    },
                    optional={
                        "hostname": st.sampled_from(["web1.example.com", "web1.example.com\n"])
                    },
                ),
                "client": st.fixed_dictionaries({"id": good_id}),
            },
            optional={"params": params_for.get(action, st.just({}))},
        )
    )
    .map(lambda body: json.dumps(body).encode())
)
raw_bodies = st.one_of(
    wellformed,
    wellformed,
    envelopes,
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=60_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=20, max_value=6000).map(lambda n: b'{"action": ' + b"7" * n + b"}"),
    values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("property")
    saved = {name: os.environ.get(name) for name in k.ENV}
    os.environ.update(k.ENV)
    app = create_app(
        {
            "DATABASE": str(tmp / "bridge.sqlite"),
            "CONFIG": str(k.write_config(tmp)),
            "OTWA_BASE_URL": "http://127.0.0.1:9/api/v1",  # Otwa down: accepted work queues
            "OTWA_BUDGET_PATH": str(tmp / "budget.sqlite"),
            "OTWA_RATE_LIMIT": 1_000_000,
            "OTWA_MAX_RETRIES": 0,
            "INLINE_DEADLINE": 0.5,
        }
    )
    yield app.test_client(), tmp / "bridge.sqlite"
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.mark.slow if EXAMPLES > 1000 else (lambda f: f)
@given(raw=raw_bodies, panel=st.sampled_from(["whmcs", "generic"]))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_signed_body_gets_a_clear_answer_and_refusals_change_nothing(
    client, raw: bytes, panel: str
) -> None:
    test_client, db_path = client
    secret = k.SECRET if panel == "whmcs" else k.GENERIC_SECRET
    before = k.snapshot(db_path)
    raw_body, headers = k.signed(raw, secret=secret, msg_id="msg_" + uuid.uuid4().hex)
    r = test_client.post(f"/v1/hooks/{panel}", data=raw_body, headers=headers)
    body = r.get_json(silent=True)
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool), r.data[:300]
    event(f"HTTP {r.status_code} {(body.get('error') or {}).get('code', 'ok')}")
    if body["ok"]:
        assert r.status_code in (200, 201, 202), body
        return
    error = body["error"]
    assert error["code"] and error["message"], body
    if "operation" in body:
        # Recorded, then failed: Otwa is down here, so a read answers 503 otwa_unavailable
        # and a create the panel keeps re-sending is given up on (503 gave_up) after
        # JOB_MAX_ATTEMPTS inline attempts: the operation's own, correct outcome.
        assert body["operation"]["state"] in ("failed", "dead", "cancelled"), body
        assert (
            error["code"].startswith("otwa_")
            or error["code"] in ("gave_up", "failed")
            or (r.status_code < 500)
        ), body
        return
    if r.status_code == 503 and error["code"] == "otwa_unavailable":
        # A read answered at once (no operation): Otwa is down here. Only the shared read
        # cache may have noted the failure; nothing was recorded.
        after = k.snapshot(db_path)
        assert {t: n for t, n in after.items() if t != "read_cache"} == {
            t: n for t, n in before.items() if t != "read_cache"
        }, body
        return
    if r.status_code == 503:
        assert error["code"] == "sso_not_configured", body  # no SSO secrets on this bridge
    else:
        assert 400 <= r.status_code < 500, body
    assert k.snapshot(db_path) == before, body  # refused before recording: nothing changed
