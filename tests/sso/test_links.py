"""Handing links out: the hook's refusals and the reply's URL and expiry."""

from __future__ import annotations

import pytest

from bridge.sso.collaborators import ServiceRecord, ServiceState
from bridge.sso.links import issue_refusal, public_base_problem, reply
from bridge.sso.tokens import LinkSigner, Target
from tests.sso.conftest import T0

ACTIVE = ServiceRecord(ServiceState.ACTIVE, "77", "srv-1")


def test_the_reply_is_the_public_link_and_its_expiry(signer: LinkSigner) -> None:
    issued = signer.issue(
        panel="whmcs", service_id="1042", client_id="77", target="server", now=T0 + 0.5
    )
    body = reply(issued, "https://bridge.acme.test/")
    assert body == {
        "url": f"https://bridge.acme.test/sso/{issued.token}",
        "expires_at": "2026-01-01T00:10:00Z",
    }
    prefixed = reply(issued, "https://acme.test/bridge")["url"]
    assert prefixed == f"https://acme.test/bridge/sso/{issued.token}"
    assert reply(issued, "http://127.0.0.1:8700")["url"].startswith("http://127.0.0.1:8700/sso/")


@pytest.mark.parametrize(
    "base",
    [
        "http://bridge.acme.test",
        "bridge.acme.test",
        "https://",
        "https://bridge.acme.test/?x=1",
        "https://bridge.acme.test/#x",
        "https://u@bridge.acme.test",
        "ftp://bridge.acme.test",
    ],
)
def test_a_bad_public_base_is_refused(signer: LinkSigner, base: str) -> None:
    assert public_base_problem(base)
    issued = signer.issue(panel="whmcs", service_id="1", client_id="7", target="server", now=T0)
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        reply(issued, base)


@pytest.mark.parametrize(
    ("record", "target", "code", "status"),
    [
        (ACTIVE, Target.SERVER, None, None),
        (ServiceRecord(ServiceState.ACTIVE, "77", None), Target.DASHBOARD, None, None),
        (None, Target.SERVER, "no_server", 404),
        (ServiceRecord(ServiceState.ACTIVE, "78", "srv-1"), Target.SERVER, "client_mismatch", 403),
        (ServiceRecord(ServiceState.SUSPENDED, "77", "s"), Target.SERVER, "service_suspended", 409),
        (ServiceRecord(ServiceState.TERMINATED, "77", None), Target.SERVER, "no_server", 404),
        (ServiceRecord(ServiceState.PENDING, "77", None), Target.SERVER, "service_not_ready", 409),
        (ServiceRecord(ServiceState.ACTIVE, "77", None), Target.SERVER, "service_not_ready", 409),
    ],
)
def test_issue_checks_match_the_click(
    record: ServiceRecord | None, target: Target, code: str | None, status: int | None
) -> None:
    refusal = issue_refusal(record, service_id="1042", client_id="77", target=target)
    if code is None:
        assert refusal is None
    else:
        assert refusal is not None and (refusal.code, refusal.status) == (code, status)
        assert "1042" in refusal.message and refusal.message.endswith("No link was issued.")
