"""The reseller's brand on every page a customer sees: name, logo, accent colour.

Validated once, when the brand is built, so a page can never carry a bad value: the colour
goes into CSS and the logo URL into an ``<img>`` and the Content-Security-Policy.
``show_provider_name`` is off by default: the pages never say "Otwa" unless it is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_COLOR = "#2f6fde"
MAX_NAME_LENGTH = 80
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


def color_problem(value: str) -> str | None:
    """Why ``value`` is not an accent colour (``#rgb`` or ``#rrggbb``); None when it is."""
    if not _COLOR.fullmatch(value):
        return "The brand colour must be #rgb or #rrggbb (hex digits)."
    return None


def url_problem(value: str, what: str) -> str | None:
    """Why ``value`` is not an absolute ``https`` (or ``http``) URL with a host; None if it is."""
    if not value.isascii() or any(c.isspace() or ord(c) < 0x20 for c in value):
        return f"The {what} must be a plain ASCII URL without spaces."
    try:
        parts = urlsplit(value)
    except ValueError:
        return f"The {what} does not parse as a URL."
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc:
        return f"The {what} must be an absolute http(s) URL with a host."
    return None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL (for the Content-Security-Policy)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Branding:
    """What the pages show of the reseller. Raises ``ValueError`` (naming the bad field)
    for an empty or over-long name, a colour other than ``#rgb``/``#rrggbb``, or a logo
    URL that is not an absolute ``https`` URL."""

    name: str
    logo_url: str | None = None
    color: str = DEFAULT_COLOR
    show_provider_name: bool = False

    def __post_init__(self) -> None:
        name = self.name.strip()
        if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise ValueError(f"The brand name must be 1-{MAX_NAME_LENGTH} printable characters.")
        object.__setattr__(self, "name", name)
        problem = color_problem(self.color)
        if problem:
            raise ValueError(problem)
        if self.logo_url is not None:
            problem = url_problem(self.logo_url, "brand logo URL")
            if problem is None and not self.logo_url.startswith("https://"):
                problem = "The brand logo URL must be https (pages would warn of mixed content)."
            if problem:
                raise ValueError(problem)

    @property
    def logo_origin(self) -> str | None:
        """The logo's origin, for ``img-src``; None without a logo."""
        return origin_of(self.logo_url) if self.logo_url else None
