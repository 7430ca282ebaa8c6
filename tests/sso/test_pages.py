"""Refusal pages: the right status, one sentence, the way back, the reseller's brand, no
script, and never the provider's name unless the reseller wants it."""

from __future__ import annotations

import re

import pytest

from bridge.sso import pages
from bridge.sso.branding import Branding
from bridge.sso.pages import Refusal

BACK = "https://billing.acme.test/clientarea.php?action=services"


def render(refusal: Refusal, branding: Branding, back_url: str | None = BACK) -> str:
    return pages.render(refusal, branding=branding, back_url=back_url, nonce="n0nce")


@pytest.mark.parametrize(
    ("refusal", "status", "phrase"),
    [
        (Refusal.INVALID, 404, "isn't valid"),
        (Refusal.EXPIRED, 410, "expired"),
        (Refusal.USED, 410, "already been used"),
        (Refusal.SERVICE_GONE, 404, "couldn't find this service"),
        (Refusal.NOT_YOURS, 403, "isn't in your account"),
        (Refusal.SUSPENDED, 423, "suspended"),
        (Refusal.TERMINATED, 410, "cancelled"),
        (Refusal.NOT_READY, 409, "still being set up"),
        (Refusal.OTWA_DOWN, 503, "couldn't reach the control panel"),
        (Refusal.OTWA_SLOW, 504, "didn't answer in time"),
        (Refusal.BAD_TARGET, 502, "problem on our side"),
        (Refusal.ERROR, 500, "problem on our side"),
    ],
)
def test_each_refusal_has_its_status_sentence_and_way_back(
    branding: Branding, refusal: Refusal, status: int, phrase: str
) -> None:
    html = render(refusal, branding)
    assert refusal.status == status
    assert phrase in html
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert f'href="{BACK.replace("&", "&amp;")}"' in html and "Back to your client area" in html
    assert '<img src="https://cdn.acme.test/logo.png" alt="Acme Hosting">' in html
    assert "--accent: #c0ffee;" in html and '<style nonce="n0nce">' in html
    assert "<script" not in html.lower()
    assert not re.search(r"\son\w+=", html)  # no inline event handlers either
    assert "otwa" not in html.lower()


def test_the_provider_is_named_only_when_the_reseller_wants_it() -> None:
    named = Branding(name="Acme Hosting", show_provider_name=True)
    for refusal in Refusal:
        assert "Otwa" in render(refusal, named)


def test_without_a_logo_the_name_shows_and_without_a_back_url_the_page_says_where_to_go() -> None:
    html = render(Refusal.EXPIRED, Branding(name="Acme Hosting"), back_url=None)
    assert '<span class="brand">Acme Hosting</span>' in html and "<img" not in html
    assert "href=" not in html and "go back to your client area" in html


def test_everything_from_configuration_is_escaped() -> None:
    brand = Branding(
        name='<script>alert("x")</script> & Co', logo_url='https://a.test/l.png?a=1&b="'
    )
    html = render(Refusal.USED, brand, back_url='https://b.test/?x="><script>alert(1)</script>')
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert 'href="https://b.test/?x=&#34;&gt;&lt;script&gt;' in html


@pytest.mark.parametrize("color", ["#abc", "#AABBCC", "#123456"])
def test_accent_colours_are_hex_only(color: str) -> None:
    assert Branding(name="A", color=color).color == color


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("color", "red"),
        ("color", "#abcd"),
        ("color", "#12345g"),
        ("color", "#fff; } body { display: none"),
        ("color", "#fff\n"),
        ("name", ""),
        ("name", "   "),
        ("name", "A" * 81),
        ("name", "Acme\nHosting"),
        ("logo_url", "http://cdn.acme.test/logo.png"),
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "/logo.png"),
        ("logo_url", "https://user@cdn.acme.test/logo.png"),
        ("logo_url", "https://cdn.acme.test/a b.png"),
    ],
)
def test_a_bad_brand_is_refused_when_it_is_built(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="brand"):
        Branding(**{"name": "Acme", field: value})  # type: ignore[arg-type]


def test_security_headers_forbid_script_caching_referrers_and_framing(
    branding: Branding,
) -> None:
    headers = pages.security_headers(branding, "n0nce")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp == {
        "default-src": "'none'",
        "img-src": "https://cdn.acme.test",
        "style-src": "'nonce-n0nce'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    bare = pages.security_headers(Branding(name="A"), None)["Content-Security-Policy"]
    assert "img-src 'none'" in bare and "style-src 'none'" in bare


def test_nonces_are_fresh() -> None:
    assert len({pages.new_nonce() for _ in range(50)}) == 50
