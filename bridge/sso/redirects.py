"""The redirect-target guard: a minted login URL is followed only when it points at Otwa.

The URL comes from Otwa's answer, so a compromised or forged answer (or a bug) could try to
send the customer elsewhere with a fresh session cookie in tow. :class:`RedirectPolicy`
refuses every URL that is not ``https`` to one of Otwa's own hosts; plain ``http`` is
allowed only to a loopback host, and only when the policy says so (the local sandbox).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

OTWA_HOSTS = ("otwa.cloud", "*.otwa.cloud")
MAX_URL_LENGTH = 4096

# A host pattern: a lower-case DNS name or IP literal, optionally "*." for any subdomain.
_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9\-.:]+")
# Printable ASCII a URL must still not hold ("\\" is "/" to browsers).
_FORBIDDEN = set('\\<>"`{}|^')


class UnsafeRedirect(ValueError):
    """The URL is not one the bridge will redirect a browser to; ``str()`` says why and
    never repeats the URL (it may be a live login link)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class RedirectPolicy:
    """Which absolute URLs may be redirect targets.

    ``hosts``: exact host names (``otwa.cloud``) or ``*.``-prefixed suffixes
    (``*.otwa.cloud`` matches any subdomain, not the bare domain). ``allow_http_loopback``:
    also accept ``http`` when the host is loopback (and listed), for the local sandbox.
    Ports are not restricted; user info (``user@``) never passes.
    """

    hosts: tuple[str, ...]
    allow_http_loopback: bool = False

    def __post_init__(self) -> None:
        if not self.hosts:
            raise ValueError("A redirect policy needs at least one allowed host.")
        for host in self.hosts:
            if not _HOST_PATTERN.fullmatch(host):
                raise ValueError(f"Not a lower-case host name or '*.' pattern: {host!r}")

    @classmethod
    def for_otwa(
        cls, base_url: str, *, extra_hosts: tuple[str, ...] = OTWA_HOSTS
    ) -> RedirectPolicy:
        """Otwa's hosts: the host of the configured API ``base_url`` plus ``extra_hosts``.

        ``http`` to loopback is allowed exactly when ``base_url`` itself is ``http`` on a
        loopback host (the sandbox in development); otherwise only ``https`` passes.
        Raises ``ValueError`` when ``base_url`` has no host.
        """
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        if not host or parts.scheme not in ("http", "https"):
            raise ValueError("The Otwa base URL must be an absolute http(s) URL with a host.")
        hosts = tuple(dict.fromkeys((host, *extra_hosts)))
        return cls(hosts, allow_http_loopback=parts.scheme == "http" and _is_loopback(host))

    def allows_host(self, host: str) -> bool:
        """True when ``host`` (lower case) is listed or matches a ``*.`` pattern."""
        for pattern in self.hosts:
            if pattern.startswith("*."):
                suffix = pattern[1:]  # ".otwa.cloud"
                if host.endswith(suffix) and len(host) > len(suffix):
                    return True
            elif host == pattern:
                return True
        return False

    def check(self, url: object) -> str:
        """Return ``url`` when it may be a redirect target; else raise :class:`UnsafeRedirect`."""
        if not isinstance(url, str) or not url:
            raise UnsafeRedirect("the login URL is not a string")
        if len(url) > MAX_URL_LENGTH:
            raise UnsafeRedirect("the login URL is too long")
        if not url.isascii() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
            raise UnsafeRedirect("the login URL holds non-ASCII, space or control characters")
        if _FORBIDDEN.intersection(url):
            raise UnsafeRedirect("the login URL holds characters a URL must not")
        try:
            parts = urlsplit(url)
            port_ok = parts.port is None or 0 < parts.port < 65536
        except ValueError:
            raise UnsafeRedirect("the login URL does not parse") from None
        host = parts.hostname or ""
        if not port_ok or not host:
            raise UnsafeRedirect("the login URL has no valid host")
        if "@" in parts.netloc:
            raise UnsafeRedirect("the login URL carries user info")
        if not self.allows_host(host):
            raise UnsafeRedirect("the login URL points at a host that is not Otwa's")
        if parts.scheme == "https":
            return url
        if parts.scheme == "http" and self.allow_http_loopback and _is_loopback(host):
            return url
        raise UnsafeRedirect("the login URL's scheme is not allowed")

    def allows(self, url: object) -> bool:
        """True when :meth:`check` would accept ``url``."""
        try:
            self.check(url)
        except UnsafeRedirect:
            return False
        return True
