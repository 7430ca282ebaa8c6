"""/admin/reports/margins over the golden month: behind the admin login, the month's
numbers, the chart served by the bridge, runway and reconcile status, downloads equal to
what the CLI prints; and in headless Chromium, after logging in, with no console errors."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.access import passwords
from tests.support.golden import GOLDEN_CSV, Golden
from tests.support.processes import ROOT, Sandbox

PASSWORD = "correct horse battery staple"
HASH = passwords.hash_password(PASSWORD)
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "var" / "test-artifacts"))
PAGE = "/admin/reports/margins?period=2026-11"


@pytest.fixture
def month(tmp_path: Path, sandbox: Sandbox) -> Iterator[Golden]:
    golden = Golden(tmp_path, sandbox, "generic", ADMIN_PASSWORD_HASH=HASH)
    golden.run()
    with golden.served():
        yield golden


def signed_in(month: Golden) -> requests.Session:
    """A session through the admin console's own login form."""
    s = requests.Session()
    form = s.get(f"{month.url}/admin/login", params={"next": PAGE}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    r = s.post(
        f"{month.url}/admin/login",
        data={"csrf_token": token.group(1), "password": PASSWORD, "next": PAGE},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 303 and r.headers["Location"] == PAGE, r.text
    return s


def test_the_page_needs_the_admin_login(month: Golden) -> None:
    for path in (PAGE, "/admin/reports/margins.csv?period=2026-11",
                 "/admin/reports/margins/chart.svg?period=2026-11"):  # fmt: skip
        r = requests.get(month.url + path, allow_redirects=False, timeout=10)
        assert r.status_code == 303, path
        assert r.headers["Location"].startswith("/admin/login?next=%2Fadmin%2Freports%2F")
        assert "22.50" not in r.text
    s = requests.Session()
    s.cookies.set("otwa_admin", "forged-session", path="/admin")
    r = s.get(month.url + PAGE, allow_redirects=False, timeout=10)
    assert r.status_code == 303  # a cookie the console never issued opens nothing


def test_without_a_password_hash_the_page_is_never_open(tmp_path: Path, sandbox: Sandbox) -> None:
    golden = Golden(tmp_path, sandbox, "generic")
    with golden.served():
        r = requests.get(golden.url + PAGE, timeout=10)
        assert r.status_code == 503 and "BRIDGE_ADMIN_PASSWORD_HASH" in r.text
        assert "22.50" not in r.text


def test_the_page_shows_the_golden_month(month: Golden) -> None:
    s = signed_in(month)
    page = s.get(month.url + PAGE, timeout=10)
    assert page.status_code == 200
    assert "script" not in page.headers["Content-Security-Policy"]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    for row in GOLDEN_CSV.read_text().splitlines()[1:]:
        panel, key, currency, *money = row.split(",")
        assert " ".join([key, currency, *money]) in text, row
    assert "reconciled" in text and "nothing renews" not in text
    assert "/admin/reports/margins/chart.svg?period=2026-11&amp;currency=USD" in page.text

    csv = s.get(f"{month.url}/admin/reports/margins.csv?period=2026-11", timeout=10)
    assert csv.text == GOLDEN_CSV.read_text()
    assert "attachment" in csv.headers["Content-Disposition"]
    json_cli = month.cli("ledger", "report", "--period", "2026-11", "--format", "json")
    body = s.get(f"{month.url}/admin/reports/margins.json?period=2026-11", timeout=10)
    assert body.text == json_cli.stdout

    svg = s.get(f"{month.url}/admin/reports/margins/chart.svg?period=2026-11", timeout=10)
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert "<script" not in svg.text
    assert not re.search(r'(href|src)="(https?:)?//', svg.text)  # nothing loaded from elsewhere
    for amount in ("22.50", "19.71", "2.79", "10.00", "4.79", "5.21"):
        assert amount in svg.text  # November's and October's bars print their amounts


def test_bad_periods_are_refused_in_one_line(month: Golden) -> None:
    s = signed_in(month)
    r = s.get(f"{month.url}/admin/reports/margins?period=2026-13", timeout=10)
    assert r.status_code == 400 and "2026-11" in r.text
    r = s.get(f"{month.url}/admin/reports/margins.csv?period=2026-11&by=colour", timeout=10)
    assert r.status_code == 400


NO_CHROMIUM = (
    f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium): the page "
    "test needs a real browser and never downloads one"
)


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=NO_CHROMIUM)
def test_chromium_logs_in_and_reads_the_golden_month(month: Golden) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 1600})
            login = context.new_page()
            login.goto(month.url + PAGE)
            assert "/admin/login" in login.url  # sent to the console's login first
            login.fill("input[name=password]", PASSWORD)
            login.click("button.primary")
            login.wait_for_url(f"**{PAGE}")
            login.close()
            # The report page's own console, from a fresh tab of the signed-in browser (the
            # console's login page links no icon: Chromium's /favicon.ico is a 404 there).
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            page.goto(month.url + PAGE)
            page.wait_for_load_state("networkidle")
            table = page.inner_text("#margins")
            for row in GOLDEN_CSV.read_text().splitlines()[1:]:
                for cell in row.split(",")[1:]:
                    assert cell in table, (cell, table)
            chart = page.locator("#chart-USD")
            chart.wait_for()
            loaded = page.evaluate(
                "document.querySelector('#chart-USD').complete &&"
                " document.querySelector('#chart-USD').naturalWidth"
            )
            assert loaded > 0  # the bridge served the SVG and the browser drew it
            assert "reconciled" in page.inner_text("#reconcile-status")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "margins-2026-11.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
    assert errors == []
