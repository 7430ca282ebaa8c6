"""Helpers for hook-intake tests: a test config, signed posts, and a snapshot of every table."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from bridge import signing

SECRET = signing.generate_secret()
OLD_SECRET = signing.generate_secret()
GENERIC_SECRET = signing.generate_secret()

TEST_TOML = """
[panels.whmcs]
adapter = "whmcs"
secrets_env = "TEST_WHMCS_SECRETS"

[panels.whmcs.os]
option = "Operating System"
default = "Ubuntu 24.04"
[panels.whmcs.os.values]
"Ubuntu 24.04" = "ubuntu-24.04"
"Debian 12" = "debian-12"

[panels.whmcs.region]
option = "Location"
[panels.whmcs.region.values]
"Istanbul" = "tr-ist-01"
"Frankfurt" = "de-fra-01"

[panels.whmcs.addons."Extra IPv4"]
"Yes" = "extra-ip"
"No" = ""
[panels.whmcs.addons."Backups"]
"Daily" = "backup"

[panels.whmcs.products.1]
plan = "Starter"
regions = ["tr-ist-01"]

[panels.whmcs.products.2]
plan = "Standard"
regions = ["tr-ist-01"]

[panels.generic]
adapter = "generic"
secrets_env = "TEST_GENERIC_SECRETS"

[panels.generic.products.1]
plan = "Starter"
regions = ["tr-ist-01"]
[panels.generic.os]
default = "ubuntu-24.04"
[panels.generic.os.values]
"ubuntu-24.04" = "ubuntu-24.04"

[panels.nosecret]
adapter = "generic"
secrets_env = "TEST_UNSET_SECRETS"
"""

ENV = {
    "TEST_WHMCS_SECRETS": f"{SECRET},{OLD_SECRET}",
    "TEST_GENERIC_SECRETS": GENERIC_SECRET,
}


def write_config(tmp: Path) -> Path:
    path = tmp / "bridge.toml"
    path.write_text(TEST_TOML)
    return path


def envelope(action: str = "create", **service: Any) -> dict[str, Any]:
    svc = {"id": "1042", "product_id": "1", "options": {"Operating System": "Ubuntu 24.04"}}
    svc.update(service)
    return {"action": action, "service": svc, "client": {"id": "77"}}


def signed(
    body: Any,
    *,
    secret: str = SECRET,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signing.sign_headers([secret], raw, msg_id=msg_id, timestamp=timestamp)
    headers["Content-Type"] = "application/json"
    return raw, headers


def post(client: Any, body: Any, panel: str = "whmcs", **kw: Any) -> Any:
    extra = kw.pop("headers", {})
    raw, headers = signed(body, **kw)
    return client.post(f"/v1/hooks/{panel}", data=raw, headers={**headers, **extra})


# Kept by triggers from the tables above (migration m010_counters): they change exactly
# when those do, so counting them again says nothing. And read_cache: disposable copies of
# Otwa's answers (a refusal that checked Otwa's plan list may leave that list shared).
DERIVED = ("counters", "status", "read_cache")


def snapshot(db_path: Path) -> dict[str, int]:
    """Row count of every table: a refusal must leave all of them as they were."""
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        names = [n for n in names if n not in DERIVED]
        sql = 'SELECT count(*) FROM "{}"'  # names come from sqlite_master
        return {n: conn.execute(sql.format(n)).fetchone()[0] for n in names}
    finally:
        conn.close()


def now() -> int:
    return int(time.time())
