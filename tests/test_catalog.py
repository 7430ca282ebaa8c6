"""The products map: static placement at intake and the live check of check-config."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.catalog import Catalog, CatalogConfigError, Placement
from bridge.commands import Command
from bridge.errors import BridgeError
from tests.web.hookkit import TEST_TOML

CAT = Catalog.from_toml(tomllib.loads(TEST_TOML))


def cmd(action: str = "create", **kw) -> Command:
    base = dict(
        panel="whmcs",
        action=action,
        service_id="1042",
        webhook_id="msg_1",
        product_id="1",
        options={"Operating System": "Ubuntu 24.04"},
    )
    base.update(kw)
    return Command(**base)


def test_place_fills_everything_post_servers_needs() -> None:
    c = cmd(
        options={
            "Operating System": "Debian 12",
            "Location": "Istanbul",
            "Extra IPv4": "Yes",
            "Backups": "Daily",
        },
        hostname="Web1.Example.com",
    )
    assert CAT.place(c, 3) == Placement(
        plan="Starter",
        region="tr-ist-01",
        os="debian-12",
        os_template="debian-12",
        addon_types=["extra-ip", "backup"],
        label="whmcs-1042-g3",
        hostname="web1.example.com",
    )


def test_defaults_apply_when_options_are_absent() -> None:
    p = CAT.place(cmd(options={}), 1)
    assert (p.region, p.os, p.addon_types) == ("tr-ist-01", "ubuntu-24.04", [])


@pytest.mark.parametrize("domain", [None, "", "not a host", "-bad.example", "x" * 64 + ".com"])
def test_hostname_is_generated_when_the_domain_is_not_a_host_name(domain) -> None:
    assert CAT.place(cmd(hostname=domain), 1).hostname == "whmcs-1042"


def test_no_addon_values_add_nothing() -> None:
    assert CAT.place(cmd(options={"Extra IPv4": "No"}), 1).addon_types == []


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (cmd(product_id="9"), "unknown_product"),
        (cmd(product_id=None), "unknown_product"),
        (cmd(panel="blesta"), "unknown_product"),
        (cmd(options={"Operating System": "Plan 9"}), "unmapped_option"),
        (cmd(options={"Location": "Mars"}), "unmapped_option"),
        (cmd(options={"Location": "Frankfurt"}), "region_not_allowed"),
        (cmd(options={"Backups": "Hourly"}), "unmapped_option"),
    ],
)
def test_place_refusals_are_422_with_a_code(command, code) -> None:
    with pytest.raises(BridgeError) as exc:
        CAT.place(command, 1)
    assert (exc.value.status, exc.value.code) == (422, code)
    assert exc.value.message


def test_validate_checks_only_what_the_action_needs() -> None:
    CAT.validate(cmd("suspend", product_id="9"))  # an unmapped product can still be suspended
    CAT.validate(cmd("reinstall", params={"os": "debian-12"}))  # an Otwa slug is accepted too
    with pytest.raises(BridgeError, match="not in the products map"):
        CAT.validate(cmd("change_package", product_id="9"))


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ({"label_template": "{panel}-{service}"}, "generation"),
        ({"label_template": "{panel}-{service}-{generation}-{x}"}, "nothing else"),
        ({"products": {"1": {"regions": ["a"]}}}, "needs plan"),
        ({"products": {"1": {"plan": "S", "regions": ["a"], "region": "b"}}}, "not in regions"),
        ({"addons": {"IP": {"Yes": "ipv6"}}}, "add-on types"),
        ({"os": {"values": {"U": 3}}}, "OS slug"),
    ],
)
def test_bad_maps_are_refused_at_load(toml, needle) -> None:
    with pytest.raises(CatalogConfigError, match=needle):
        Catalog.from_toml({"panels": {"whmcs": toml}})


def test_label_that_otwa_would_refuse_is_422() -> None:
    cat = Catalog.from_toml(
        {
            "panels": {
                "whmcs": {
                    "label_template": "{panel}-{service}-{generation}-" + "x" * 60,
                    "products": {"1": {"plan": "S"}},
                    "os": {"default": "u", "values": {"u": "u"}},
                }
            }
        }
    )
    with pytest.raises(BridgeError) as exc:
        cat.place(cmd(options={}), 1)
    assert exc.value.code == "invalid_label"


LIVE_PRODUCTS = [
    {
        "id": "p-1",
        "name": "Starter",
        "regions": ["tr-ist-01"],
        "addons": [{"id": "a1", "name": "IP", "type": "extra-ip", "monthly_price": "2.00"}],
    },
    {
        "id": "p-2",
        "name": "Standard",
        "regions": ["tr-ist-01", "de-fra-01"],
        "addons": [
            {"id": "a2", "name": "IP", "type": "extra-ip"},
            {"id": "a3", "name": "Backup", "type": "backup"},
        ],
    },
]
LIVE_REGIONS = [{"slug": "tr-ist-01", "name": "Istanbul"}, {"slug": "de-fra-01", "name": "F"}]
LIVE_OS = [{"id": "ubuntu-24.04", "family": "ubuntu", "label": "Ubuntu 24.04"}]


def test_check_names_every_problem_against_the_live_catalog() -> None:
    problems = CAT.check(LIVE_PRODUCTS, LIVE_REGIONS, LIVE_OS)
    text = "\n".join(problems)
    # debian-12 is not offered; Starter has no backup add-on; generic has no problem.
    assert "'debian-12' is not offered" in text
    assert "product 1: add-on type 'backup' is not offered by plan 'Starter'" in text
    assert len(problems) == 2, text


def test_check_finds_unknown_plans_and_regions() -> None:
    cat = Catalog.from_toml(
        {
            "panels": {
                "p": {
                    "os": {"default": "Nope", "values": {"U": "ubuntu-24.04"}},
                    "region": {"values": {"Moon": "lu-moon-01"}},
                    "products": {
                        "1": {"plan": "Mega", "regions": ["tr-ist-01"]},
                        "2": {"plan": "p-1", "regions": ["de-fra-01"]},
                        "3": {"plan": "starter", "regions": ["xx-nope-01"]},
                    },
                }
            }
        }
    )
    text = "\n".join(cat.check(LIVE_PRODUCTS, LIVE_REGIONS, LIVE_OS))
    assert "plan 'Mega' is unknown" in text
    assert "plan 'p-1' is not offered in 'de-fra-01'" in text
    assert "region 'xx-nope-01' is not an Otwa region" in text
    assert "region choice 'Moon' -> 'lu-moon-01' is not an Otwa region" in text
    assert "os.default 'Nope' is an unmapped option value" in text


def test_check_of_a_clean_map_is_empty() -> None:
    cat = Catalog.from_toml(
        {
            "panels": {
                "p": {
                    "os": {"default": "U", "values": {"U": "ubuntu-24.04"}},
                    "addons": {"IP": {"Yes": "extra-ip"}},
                    "products": {"1": {"plan": "Starter", "regions": ["tr-ist-01"]}},
                }
            }
        }
    )
    assert cat.check(LIVE_PRODUCTS, LIVE_REGIONS, LIVE_OS) == []


def test_example_config_loads() -> None:
    path = Path(__file__).resolve().parents[1] / "config" / "bridge.toml"
    cat = Catalog.from_toml(tomllib.loads(path.read_text()))
    p = cat.place(replace(cmd(), options={"Operating System": "Ubuntu 22.04"}), 1)
    assert (p.plan, p.os, p.region) == ("Starter", "ubuntu-22.04", "tr-ist-01")


# -- option values as WHMCS sends them (docs/products-map.md, "Option values") ---------------

WHMCS_MAP = Catalog.from_toml(
    tomllib.loads(
        """
[panels.whmcs.os]
option = "os"
default = "ubuntu-24.04"
[panels.whmcs.os.values]
"ubuntu-24.04" = "ubuntu-24.04"
"Debian 12" = "debian-12"
[panels.whmcs.region]
option = "Location"
[panels.whmcs.region.values]
"Istanbul" = "tr-ist-01"
[panels.whmcs.addons."Extra IPv4"]
"1" = "extra-ip"
"0" = ""
[panels.whmcs.addons."Backups"]
"Yes" = "backup"
"No" = ""
[panels.whmcs.products.1]
plan = "Starter"
regions = ["tr-ist-01", "de-fra-01"]
"""
    )
)


def _placed(**options: str) -> Placement:
    return WHMCS_MAP.place(cmd(options=options), 1)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # a yes/no option arrives as its quantity; n >= 1 is "on"
        ({"Extra IPv4": "1"}, ["extra-ip"]),
        ({"Extra IPv4": "3"}, ["extra-ip"]),
        ({"Extra IPv4": "0"}, []),
        # a hand-written map keyed "Yes"/"No" matches the quantities too, and the reverse
        ({"Backups": "1"}, ["backup"]),
        ({"Backups": "0"}, []),
        ({"Extra IPv4": "Yes", "Backups": "yes"}, ["extra-ip", "backup"]),
        ({"Extra IPv4": "No"}, []),
    ],
)
def test_yes_no_and_quantities_match_either_spelling(options, expected) -> None:
    assert _placed(**options).addon_types == expected


def test_sub_option_values_and_display_labels_both_match() -> None:
    # "value|Display" arrives as its value; a map keyed by the display label still matches
    # through the Otwa slug it maps to, and a body carrying the pair whole matches too.
    assert _placed(os="ubuntu-24.04").os == "ubuntu-24.04"
    assert _placed(os="debian-12").os == "debian-12"
    assert _placed(os="Debian 12").os == "debian-12"
    assert _placed(os="debian-12|Debian 12").os == "debian-12"
    assert _placed(os="UBUNTU-24.04").os == "ubuntu-24.04"
    assert _placed(Location="tr-ist-01").region == "tr-ist-01"
    assert _placed(Location="Istanbul").region == "tr-ist-01"
    assert _placed(Location="tr-ist-01|Istanbul").region == "tr-ist-01"
    assert _placed(Location="de-fra-01").region == "de-fra-01"  # an allowed slug as is


@pytest.mark.parametrize(
    "options",
    [{"Extra IPv4": "Daily"}, {"os": "windows-3.11"}, {"Location": "Mars"}],
)
def test_what_neither_spelling_names_is_still_unmapped(options) -> None:
    with pytest.raises(BridgeError) as exc:
        _placed(**options)
    assert exc.value.code == "unmapped_option"
    assert exc.value.details["option"] == next(iter(options))


def test_addon_options_names_the_options_ordering_a_type() -> None:
    assert WHMCS_MAP.addon_options("whmcs", ["extra-ip"]) == ["Extra IPv4"]
    assert WHMCS_MAP.addon_options("whmcs", ["ip-class"]) == []
