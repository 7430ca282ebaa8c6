"""Validate a real ``requests`` response from the sandbox against our spec copy.

The spec is bridge/sandbox/openapi.yaml (what the sandbox serves and the client is written
against). The request URL is rebased onto the spec's first server, so any sandbox port works.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from bridge.sandbox import SPEC_PATH

SPEC_BASE = "https://otwa.cloud/api/v1"


@lru_cache(maxsize=1)
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


def validate(response: requests.Response) -> requests.Response:
    """Raise if ``response`` (to an /api/v1 request) is not what the spec allows.

    Also checks the headers the spec promises on every response: X-Request-Id, and the
    X-RateLimit-* trio on authenticated calls that got past the key check (injected
    500/502/504 faults never reach the API, so they carry none).
    """
    prepared = copy.copy(response.request)
    parts = urlsplit(prepared.url or "")
    path = parts.path.split("/api/v1", 1)[1]
    prepared.url = SPEC_BASE + path + (f"?{parts.query}" if parts.query else "")
    spec().validate_response(RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(response))
    assert response.headers.get("X-Request-Id"), "every response carries X-Request-Id"
    authed = "Authorization" in (response.request.headers or {})
    skip = response.status_code in (401, 500, 502, 504) or path.startswith("/public/")
    if authed and not skip:
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert name in response.headers, f"{name} missing on {response.request.method} {path}"
    return response
