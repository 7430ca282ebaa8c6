"""The console's list filters and cursors, read from the query string (the same for the
HTML pages and /admin/api/*); anything malformed is a 400 that says what to send."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from bridge.errors import BridgeError
from bridge.provisioning import admin as operator
from bridge.provisioning.admin import Filter

MAX_TEXT = 128
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(args: MultiDict[str, str], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_TEXT or CONTROL.search(value):
        raise BridgeError(
            f"{name}: send at most {MAX_TEXT} characters, none of them control characters.",
            code="bad_filter",
        )
    return value or None


def parse_time(value: str, name: str) -> float:
    """A date (``YYYY-MM-DD``), a date and time (``YYYY-MM-DDTHH:MM[:SS][offset]``, UTC when
    no offset is given; RFC 3339 included), or epoch seconds, as epoch seconds."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if math.isfinite(number):
            return number
    else:
        try:
            when = datetime.fromisoformat(value.replace(":60", ":59"))  # a leap second
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when.timestamp()
    raise BridgeError(
        f"{name}: send a UTC time as YYYY-MM-DD or YYYY-MM-DDTHH:MM (e.g. 2026-01-31T18:00), "
        "an RFC 3339 time, or epoch seconds.",
        code="bad_filter",
    )


def _time(args: MultiDict[str, str], name: str) -> float | None:
    value = args.get(name)
    return parse_time(value, name) if value and value.strip() else None


def operation_filter(args: MultiDict[str, str]) -> Filter:
    """``state``/``action`` (repeatable), ``panel``, ``service``, ``since``, ``until``."""
    f = Filter(
        states=tuple(s for s in args.getlist("state") if s),
        actions=tuple(a for a in args.getlist("action") if a),
        panel=_text(args, "panel"),
        service_id=_text(args, "service"),
        since=_time(args, "since"),
        until=_time(args, "until"),
    )
    f.check()
    return f


def cursor(args: MultiDict[str, str]) -> tuple[float, str] | None:
    """``before=<created_at>:<operation id>``, the last row of the previous page."""
    value = args.get("before")
    if not value:
        return None
    at, _, op_id = value.partition(":")
    try:
        when = float(at)
        if math.isnan(when) or not op_id:  # an overflow to ±inf is a harmless bound
            raise ValueError(value)
        return when, op_id
    except ValueError:
        raise BridgeError(
            "before: send the cursor from the previous page's next link.", code="bad_filter"
        ) from None


def next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    """The cursor of the page after ``rows`` (None on the last page)."""
    if len(rows) < limit:
        return None
    last = rows[-1]
    return f"{last['created_at']!r}:{last['id']}"


def services_page(
    db: Any, args: MultiDict[str, str]
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """One page of services for ``?panel=&service=&state=&after=<panel>/<service>&limit=``,
    and the ``(panel, service)`` to continue after (None on the last page)."""
    after = None
    if args.get("after"):
        panel, _, service_id = str(args["after"]).partition("/")
        after = (panel, service_id)
    size = limit(args)
    rows = operator.list_services(
        db,
        panel=_text(args, "panel"),
        service_id=_text(args, "service"),
        state=_text(args, "state"),
        limit=size,
        after=after,
    )
    following = (rows[-1]["panel"], rows[-1]["service_id"]) if len(rows) == size else None
    return rows, following


def limit(args: MultiDict[str, str], default: int = 50) -> int:
    value = args.get("limit")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 500:
        raise BridgeError("limit: send a whole number from 1 to 500.", code="bad_filter")
    return int(value)
