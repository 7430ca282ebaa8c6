"""The redirect-target guard: only https to Otwa's hosts (http only to a loopback sandbox)."""

from __future__ import annotations

import pytest

from bridge.sso.redirects import RedirectPolicy, UnsafeRedirect

PROD = RedirectPolicy.for_otwa("https://api.otwa.cloud/api/v1")
SANDBOX = RedirectPolicy.for_otwa("http://127.0.0.1:8780/api/v1")


def test_otwa_policy_lists_the_api_host_and_otwa_domains() -> None:
    assert PROD.hosts == ("api.otwa.cloud", "otwa.cloud", "*.otwa.cloud")
    assert not PROD.allow_http_loopback
    assert SANDBOX.hosts[0] == "127.0.0.1" and SANDBOX.allow_http_loopback
    staging = RedirectPolicy.for_otwa("https://otwa.staging.example/api/v1")
    assert staging.allows("https://otwa.staging.example/sso/abc")


@pytest.mark.parametrize(
    "url",
    [
        "https://otwa.cloud/sso/abc",
        "https://www.otwa.cloud/sso/abc?next=/dashboard",
        "https://dash.eu.otwa.cloud:8443/sso/abc",
        "https://api.otwa.cloud/sso/abc",
        "https://OTWA.cloud/sso/abc",  # host names are case-insensitive
    ],
)
def test_https_to_otwa_passes(url: str) -> None:
    assert PROD.check(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://otwa.cloud/sso/abc",  # plain http outside the sandbox
        "https://evil.test/sso/abc",
        "https://otwa.cloud.evil.test/sso/abc",
        "https://evilotwa.cloud/sso/abc",
        "https://otwa.cloud@evil.test/sso/abc",
        "https://user:pw@otwa.cloud/sso/abc",
        "https://otwa.cloud\\@evil.test/",
        "https://otwa.cloud./sso/abc",
        "https://otwa.cloud:99999/sso",
        "https://otwa.cloud:x/sso",
        "//evil.test/sso/abc",
        "/sso/abc",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "https://otwa.cloud/sso/abc\r\nSet-Cookie: x=1",
        "https://otwa.cloud/ sso",
        "https://otwа.cloud/sso/abc",  # Cyrillic "а"
        "https://xn--otw-8cd.cloud/sso/abc",
        "https://127.0.0.1/sso/abc",
        "https://otwa.cloud/" + "a" * 5000,
        "",
        None,
        42,
        b"https://otwa.cloud/sso/abc",
    ],
)
def test_everything_else_is_refused(url: object) -> None:
    with pytest.raises(UnsafeRedirect) as caught:
        PROD.check(url)
    assert not PROD.allows(url)
    if isinstance(url, str) and url:
        assert url not in str(caught.value)  # the reason never repeats a live login URL


def test_http_only_to_the_loopback_sandbox() -> None:
    assert SANDBOX.check("http://127.0.0.1:8780/sso/abc")
    assert SANDBOX.check("https://otwa.cloud/sso/abc")
    for url in ("http://otwa.cloud/sso/abc", "http://localhost:8780/sso", "http://10.0.0.1/sso"):
        assert not SANDBOX.allows(url)  # localhost is loopback, but not a listed host
    local = RedirectPolicy.for_otwa("http://[::1]:8780/api/v1")
    assert local.hosts[0] == "::1" and local.allow_http_loopback
    local = RedirectPolicy(("localhost", "::1"), allow_http_loopback=True)
    assert local.allows("http://localhost:1/x") and local.allows("http://[::1]:8780/x")


@pytest.mark.parametrize("base", ["", "otwa.cloud/api", "ftp://otwa.cloud/api", "https:///x"])
def test_a_base_url_without_a_host_is_refused(base: str) -> None:
    with pytest.raises(ValueError):
        RedirectPolicy.for_otwa(base)


@pytest.mark.parametrize("hosts", [(), ("OTWA.cloud",), ("otwa.cloud/x",), ("*",)])
def test_bad_host_patterns_are_refused(hosts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        RedirectPolicy(hosts)
