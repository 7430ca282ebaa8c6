"""The grammar of deep links: the dashboard path a link may open after the login.

Strict on purpose: a deep link is passed to Otwa as ``next`` and ends up in a redirect, so
it must never be able to name another host or smuggle a header. Allowed:

* one leading ``/``, then segments of RFC 3986 unreserved and sub-delims characters
  (``A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; =``) separated by single ``/``; a trailing
  ``/`` is fine;
* at most :data:`MAX_LENGTH` characters.

Refused: anything else, in particular ``//`` (a network path), ``\\``, ``:`` (schemes),
``%`` (encoded anything), ``?`` and ``#``, spaces, CR/LF and other controls, non-ASCII, and
the dot segments ``.`` and ``..``.
"""

from __future__ import annotations

import re

MAX_LENGTH = 256

_SEGMENT = r"[A-Za-z0-9\-._~!$&'()*+,;=]+"
_PATH = re.compile(rf"/(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?")


def deep_link_problem(value: object) -> str | None:
    """Why ``value`` is not an acceptable deep link, in one sentence; None when it is."""
    if not isinstance(value, str):
        return "The deep link must be a string."
    if not value:
        return "The deep link is empty."
    if len(value) > MAX_LENGTH:
        return f"The deep link is longer than {MAX_LENGTH} characters."
    if not value.startswith("/") or value.startswith("//"):
        return "The deep link must be a path starting with a single '/'."
    if not _PATH.fullmatch(value):
        return (
            "The deep link may only hold letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = "
            "between single slashes."
        )
    if any(segment in (".", "..") for segment in value.split("/")):
        return "The deep link must not contain '.' or '..' segments."
    return None


def is_deep_link(value: object) -> bool:
    """True when ``value`` follows the deep-link grammar (see the module docstring)."""
    return deep_link_problem(value) is None
