"""Request-body checks shared by the server endpoints; each returns a list of messages."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from bridge.sandbox.catalog import FAMILIES, OsTemplate, find_template
from bridge.sandbox.errors import ApiError

# Used with fullmatch only: `$` alone would also match before a trailing newline ("web\n").
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,63}")
HOST_LABEL_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def json_body(required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; 400 when it is not one (or missing when required)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, "Request body must be a JSON object")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body


def check_label(value: Any, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append("label must be a string")
    elif not LABEL_RE.fullmatch(value):
        errors.append(
            "label must be 1-64 characters, start with a letter or digit, "
            "then letters, digits, spaces, '-' or '_'"
        )


def check_hostname(value: Any, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append("hostname must be a string")
    elif len(value) > 253 or not all(HOST_LABEL_RE.fullmatch(p) for p in value.split(".")):
        errors.append(
            "hostname must be an RFC 1123 host name: dot-separated labels of 1-63 letters, "
            "digits or '-' (not at either end), 253 characters at most"
        )


def hostname_from(label: str) -> str:
    """A valid single-label hostname derived from a label."""
    name = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-")[:63].strip("-")
    return name or "srv"


def resolve_os(
    os_value: Any, template_value: Any, errors: list[str], template_required: bool
) -> OsTemplate | None:
    """The template named by ``os`` (id or family) and ``osTemplate`` (id); they must agree."""
    template: OsTemplate | None = None
    if template_value is None:
        if template_required:
            errors.append("osTemplate is required")
    elif not isinstance(template_value, str):
        errors.append("osTemplate must be a string")
    else:
        template = find_template(template_value)
        if template is None:
            errors.append(f"osTemplate '{template_value}' is not a known OS template")
    if os_value is None:
        errors.append("os is required")
        return None
    if not isinstance(os_value, str):
        errors.append("os must be a string")
        return None
    by_os = find_template(os_value)
    if by_os is None and os_value not in FAMILIES:
        errors.append(f"os '{os_value}' is not a known OS template or family")
        return None
    if template is None:
        if template_value is None and by_os is not None:
            return by_os
        if template_value is None and not template_required:
            errors.append("os names a family; send osTemplate with the exact template id")
        return None
    if (by_os is not None and by_os.id != template.id) or (
        by_os is None and os_value != template.family
    ):
        errors.append(f"os '{os_value}' does not match osTemplate '{template_value}'")
        return None
    return template
