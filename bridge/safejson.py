"""Parsing JSON from outside without crashing: bounded nesting and bounded numbers.

``json.loads`` recurses once per ``[``/``{`` (50 000 of them raise ``RecursionError``)
and ``int()`` refuses more than 4 300 digits (a ``ValueError`` that is not a
``JSONDecodeError``). :func:`loads` checks the nesting first, in linear time, and parses
integers through a bounded ``parse_int``, so every bad body ends in one
:class:`JsonRefused` with a sentence saying what to send instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
MAX_DIGITS = 64  # no field of a hook needs more; int() itself stops at 4 300

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class JsonRefused(ValueError):
    """The text is not JSON the bridge accepts; ``str()`` says why and what to send."""


def depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (strings ignored)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    level = deepest = 0
    for b in brackets:
        if b in b"[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonRefused(
            f"a number has {len(text.lstrip('-'))} digits; send at most {MAX_DIGITS} "
            "(send long identifiers as strings)"
        )
    return int(text)


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not JSON; send a number or null")


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` parsed; raises :class:`JsonRefused` for invalid JSON (not UTF-8, a syntax
    error), nesting deeper than ``max_depth``, an integer longer than ``MAX_DIGITS``, or
    ``NaN``/``Infinity``."""
    data = raw.encode() if isinstance(raw, str) else raw
    if depth(data) > max_depth:
        raise JsonRefused(f"it nests deeper than {max_depth} levels; send a flatter body")
    try:
        return json.loads(data, parse_int=_bounded_int, parse_constant=_no_constant)
    except JsonRefused:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonRefused(f"{exc.__class__.__name__}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # belt and braces: never a 500
        raise JsonRefused(str(exc)[:200]) from None
