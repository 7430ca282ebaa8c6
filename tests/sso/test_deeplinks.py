"""The deep-link grammar: dashboard paths only, nothing that could leave Otwa's host."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.sso.deeplinks import MAX_LENGTH, deep_link_problem, is_deep_link


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/billing",
        "/servers/srv_01HX/console",
        "/servers/",
        "/a-b_c.d~e/f!$&'()*+,;=",
        "/..a/.b./...",  # dots inside a segment are only text
        "/" + "a" * (MAX_LENGTH - 1),
    ],
)
def test_dashboard_paths_pass(path: str) -> None:
    assert deep_link_problem(path) is None and is_deep_link(path)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "billing",
        "//evil.test",
        "//evil.test/x",
        "/\\evil.test",
        "\\\\evil.test",
        "/a//b",
        "https://evil.test",
        "/https://evil.test",
        "javascript:alert(1)",
        "/a/../b",
        "/..",
        "/./x",
        "/a/.",
        "/a b",
        "/a\tb",
        "/a\r\nSet-Cookie: x=1",
        "/a\n",
        "/%2F%2Fevil.test",
        "/a?next=//evil.test",
        "/a#frag",
        "/a@evil.test",
        "/é",
        "/a\x00",
        "/" + "a" * MAX_LENGTH,
        None,
        42,
        b"/billing",
    ],
)
def test_anything_else_is_refused_with_a_sentence(path: object) -> None:
    problem = deep_link_problem(path)
    assert problem and problem.endswith(".") and not is_deep_link(path)


@given(st.text(max_size=300))
def test_an_accepted_path_never_leaves_the_host(text: str) -> None:
    for candidate in (text, "/" + text):
        if is_deep_link(candidate):
            # Resolved against Otwa's dashboard it stays on that host, as a plain path.
            resolved = urljoin("https://otwa.cloud/dashboard", candidate)
            assert resolved.startswith("https://otwa.cloud/")
            assert re.fullmatch(r"[A-Za-z0-9\-._~!$&'()*+,;=/]+", candidate)
            assert "//" not in candidate and ".." not in candidate.split("/")
