"""Idempotency-Key records for POST /servers and POST /servers/:id/reinstall.

Scoped per account; a record lives 24 h of sandbox time. Only successful (2xx) results are
stored: a request that fails with a 4xx (validation, 402, 409 state) leaves no record, so the
client may fix the cause and retry with the same key. Callers hold the state lock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

TTL = 24 * 3600.0


@dataclass
class Record:
    fingerprint: str
    created_at: float
    done: bool = False
    status: int = 0
    body: Any = None


def fingerprint(method: str, path: str, body: Any, raw: bytes) -> str:
    """Same method, path and JSON body (key order ignored) give the same fingerprint."""
    canon = json.dumps(body, sort_keys=True, separators=(",", ":")) if body is not None else ""
    if body is None and raw.strip():
        canon = raw.decode("utf-8", "replace")
    return hashlib.sha256(f"{method} {path}\n{canon}".encode()).hexdigest()


class IdempotencyStore:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Record] = {}

    def get(self, account_id: str, key: str, now: float) -> Record | None:
        rec = self.records.get((account_id, key))
        if rec is not None and now - rec.created_at >= TTL:
            del self.records[(account_id, key)]
            return None
        return rec

    def reserve(self, account_id: str, key: str, fp: str, now: float) -> None:
        self.records[(account_id, key)] = Record(fp, now)

    def complete(self, account_id: str, key: str, status: int, body: Any) -> None:
        rec = self.records[(account_id, key)]
        rec.done, rec.status, rec.body = True, status, body

    def drop(self, account_id: str, key: str) -> None:
        self.records.pop((account_id, key), None)
