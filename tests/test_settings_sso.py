"""The SSO link settings: typed, validated when they load (one line naming the variable),
secrets from the environment only, and the panels' client-area URLs checked with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import runtime, settings
from bridge.sso.branding import Branding
from bridge.sso.tokens import MIN_SECRET_LENGTH, LinkInvalid, LinkSigner, generate_secret
from bridge.web.sso import branding_for, signer_for
from tests.test_settings import _one_line_exit_2, cli

SECRET_A, SECRET_B = generate_secret(), generate_secret()


def test_the_defaults_leave_links_off_and_the_brand_neutral() -> None:
    loaded = runtime.build(env={}).settings
    assert loaded.sso_link_ttl == 600
    assert loaded.sso_secret_list() == [] and signer_for(loaded) is None
    assert loaded.public_base_url == ""
    brand = branding_for(loaded)
    assert brand == Branding(name="Control panel", color="#2f6fde")
    assert not brand.show_provider_name and brand.logo_url is None


def test_secrets_are_a_comma_separated_list_newest_first() -> None:
    env = {"BRIDGE_SSO_SECRETS": f" {SECRET_A} , {SECRET_B},", "BRIDGE_SSO_LINK_TTL": "60"}
    loaded = runtime.build(env=env).settings
    assert loaded.sso_secret_list() == [SECRET_A, SECRET_B]
    signer = signer_for(loaded)
    assert signer is not None and signer.ttl == 60
    issued = signer.issue(panel="p", service_id="s", client_id="c", target="server", now=0)
    # The newest (first) signs; the older one alone does not verify it.
    assert LinkSigner([SECRET_A]).verify(issued.token, now=1) == issued.claims
    with pytest.raises(LinkInvalid):
        LinkSigner([SECRET_B]).verify(issued.token, now=1)


def test_the_settings_and_the_signer_agree_on_the_shortest_secret() -> None:
    assert settings.SSO_SECRET_MIN_LENGTH == MIN_SECRET_LENGTH


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"BRIDGE_SSO_SECRETS": f"{SECRET_A},too-short"}, "BRIDGE_SSO_SECRETS=***: entry 2"),
        ({"BRIDGE_SSO_LINK_TTL": "0"}, "BRIDGE_SSO_LINK_TTL='0'"),
        ({"BRIDGE_SSO_LINK_TTL": "86401"}, "less than or equal to 86400"),
        ({"BRIDGE_PUBLIC_BASE_URL": "http://bridge.acme.test"}, "https (http only on loopback"),
        ({"BRIDGE_PUBLIC_BASE_URL": "https://bridge.acme.test/?a=1"}, "nothing more"),
        ({"BRIDGE_BRAND_COLOR": "red"}, "BRIDGE_BRAND_COLOR='red': The brand colour"),
        ({"BRIDGE_BRAND_LOGO_URL": "http://cdn.acme.test/l.png"}, "must be https"),
        ({"BRIDGE_BRAND_LOGO_URL": "https:///l.png"}, "BRIDGE_BRAND_LOGO_URL"),
        ({"BRIDGE_BRAND_NAME": "x" * 81}, "1-80 printable"),
        ({"BRIDGE_BRAND_NAME": "Acme\nHosting"}, "1-80 printable"),
        ({"BRIDGE_BRAND_SHOW_PROVIDER": "perhaps"}, "BRIDGE_BRAND_SHOW_PROVIDER"),
    ],
)
def test_bad_values_are_refused_when_the_settings_load(env: dict[str, str], needle: str) -> None:
    with pytest.raises(settings.SettingsError) as raised:
        runtime.build(env=env)
    assert needle in str(raised.value)
    assert "too-short" not in str(raised.value)


def test_every_brand_the_settings_accept_builds_the_pages_brand() -> None:
    env = {
        "BRIDGE_BRAND_NAME": "  Acme Hosting ",
        "BRIDGE_BRAND_LOGO_URL": "https://cdn.acme.test/logo.png",
        "BRIDGE_BRAND_COLOR": "#0a7",
        "BRIDGE_BRAND_SHOW_PROVIDER": "true",
        "BRIDGE_PUBLIC_BASE_URL": "https://bridge.acme.test/prefix",
    }
    loaded = runtime.build(env=env).settings
    assert branding_for(loaded) == Branding(
        name="Acme Hosting",
        logo_url="https://cdn.acme.test/logo.png",
        color="#0a7",
        show_provider_name=True,
    )


def test_the_secrets_never_come_from_the_file_nor_show(tmp_path: Path) -> None:
    bad = tmp_path / "sso.toml"
    bad.write_text(f'[bridge]\nsso_secrets = "{SECRET_A}"\n')
    r = cli("settings", env={"BRIDGE_CONFIG": str(bad)})
    _one_line_exit_2(r, "environment only", "BRIDGE_SSO_SECRETS")
    assert SECRET_A not in r.stderr + r.stdout
    shown = cli("settings", env={"BRIDGE_SSO_SECRETS": SECRET_A})
    assert shown.returncode == 0 and SECRET_A not in shown.stdout + shown.stderr


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "/clientarea.php", "https://u:p@billing.acme.test/"]
)
def test_a_panels_client_area_must_be_an_absolute_url(tmp_path: Path, url: str) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(f'[panels.whmcs]\nadapter = "whmcs"\nclient_area_url = "{url}"\n')
    with pytest.raises(settings.SettingsError, match="client_area_url"):
        runtime.build({"CONFIG": str(config)}, env={})


def test_a_panels_client_area_is_kept(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    area = "https://billing.acme.test/clientarea.php"
    config.write_text(f'[panels.whmcs]\nadapter = "whmcs"\nclient_area_url = "{area}"\n')
    panel = runtime.build({"CONFIG": str(config)}, env={}).panels["whmcs"]
    assert panel.config.client_area_url == area
