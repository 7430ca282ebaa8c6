"""The products map: a panel's product and option values -> what to order from Otwa.

Configured per panel in config/bridge.toml (see docs/products-map.md)::

    [panels.whmcs]
    label_template = "{panel}-{service}-g{generation}"   # must carry all three
    hostname_template = "{panel}-{service}"              # when the panel's domain is no hostname

    [panels.whmcs.os]                  # the OS choice
    option = "Operating System"        # panel option carrying it
    default = "Ubuntu 24.04"           # when the option is absent
    [panels.whmcs.os.values]
    "Ubuntu 24.04" = "ubuntu-24.04"                          # os = osTemplate = the value
    "Windows Server 2022" = { os = "windows-2022", template = "windows-2022" }

    [panels.whmcs.region]              # optional region choice
    option = "Location"
    [panels.whmcs.region.values]
    "Istanbul" = "tr-ist-01"

    [panels.whmcs.addons."Extra IPv4"] # option name -> {value -> add-on type, "" = none}
    "1" = "extra-ip"                   # WHMCS sends a yes/no option as its quantity
    "0" = ""                           # ("Yes"/"No" keys match the quantities too)

    [panels.whmcs.products.1]          # panel product id
    plan = "Starter"                   # Otwa plan by name or id
    regions = ["tr-ist-01"]            # allowed; the first is the default
    region = "tr-ist-01"               # optional explicit default

:meth:`Catalog.place` is a static check (no Otwa call) run at intake before anything is
recorded; :meth:`Catalog.check` compares the map with the live Otwa catalog
(``otwa-bridge check-config``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.errors import BridgeError

if TYPE_CHECKING:  # annotations only: provisioning imports this module, not the reverse
    from bridge.commands import Command

ADDON_TYPES = ("extra-ip", "ip-class", "backup")
DEFAULT_LABEL = "{panel}-{service}-g{generation}"
DEFAULT_HOSTNAME = "{panel}-{service}"
LABEL_FIELDS = {"panel", "service", "generation"}
# Otwa label rule: 1-64 chars, starts alphanumeric, then letters/digits/space/-/_.
# Always used with fullmatch: "$" would also match before a trailing newline.
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,63}")
HOST_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Option values that mean "no add-on".
NO_ADDON = {"", "none", "no", "0"}
# Yes/no spellings: WHMCS sends a yes/no or quantity option as its quantity (0, 1, n), a
# hand-written map may say "Yes"/"No". Any quantity n >= 1 is "on".
SWITCH_ON = {"yes", "on", "true", "y"}
SWITCH_OFF = {"no", "off", "false", "n", "none", ""}


class CatalogConfigError(ValueError):
    """The products map in config/bridge.toml is malformed; the message names the key."""


def refuse(code: str, message: str, details: Any = None) -> BridgeError:
    """A 422: the hook is well-formed but the products map cannot place it."""
    return BridgeError(message, code=code, status=422, details=details)


@dataclass(frozen=True)
class OsChoice:
    """An Otwa OS: ``os`` for POST /servers ``os``, ``os_template`` for ``osTemplate``."""

    os: str
    os_template: str


@dataclass(frozen=True)
class ProductMap:
    """One panel product: the Otwa plan (id or name, as configured) and its regions."""

    product_id: str
    plan: str
    regions: tuple[str, ...]
    region: str | None
    os_default: str | None = None


@dataclass(frozen=True)
class PanelCatalog:
    """The products map of one panel."""

    panel: str
    label_template: str = DEFAULT_LABEL
    hostname_template: str = DEFAULT_HOSTNAME
    os_option: str | None = None
    os_default: str | None = None
    os_values: dict[str, OsChoice] = field(default_factory=dict)
    region_option: str | None = None
    region_values: dict[str, str] = field(default_factory=dict)
    addon_options: dict[str, dict[str, str]] = field(default_factory=dict)
    products: dict[str, ProductMap] = field(default_factory=dict)


@dataclass(frozen=True)
class Placement:
    """Where and what to order for one command. ``plan`` is the configured id or name."""

    plan: str
    region: str | None
    os: str
    os_template: str
    addon_types: list[str]
    label: str
    hostname: str


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CatalogConfigError(f"{where} must be a table")
    return value


def _os_choice(value: Any, where: str) -> OsChoice:
    if isinstance(value, str) and value:
        return OsChoice(os=value, os_template=value)
    if isinstance(value, Mapping) and value.get("os"):
        return OsChoice(os=str(value["os"]), os_template=str(value.get("template") or value["os"]))
    raise CatalogConfigError(f'{where}: give an OS slug or {{ os = "...", template = "..." }}')


def _panel_catalog(name: str, table: Mapping[str, Any]) -> PanelCatalog:
    where = f"[panels.{name}]"
    label = str(table.get("label_template") or DEFAULT_LABEL)
    missing = LABEL_FIELDS - _fields(label)
    unknown = _fields(label) - LABEL_FIELDS
    if missing or unknown:
        raise CatalogConfigError(
            f"{where} label_template {label!r} must use {{panel}}, {{service}} and "
            "{generation} (and nothing else) so a server can always be recognised later"
        )
    hostname = str(table.get("hostname_template") or DEFAULT_HOSTNAME)
    if not _fields(hostname) <= LABEL_FIELDS:
        raise CatalogConfigError(f"{where} hostname_template may use {{panel}}, {{service}}")
    os_table = _table(table.get("os"), f"{where} os")
    os_values = {
        str(k): _os_choice(v, f"{where} os.values.{k!r}")
        for k, v in _table(os_table.get("values"), f"{where} os.values").items()
    }
    region_table = _table(table.get("region"), f"{where} region")
    region_values = {
        str(k): str(v)
        for k, v in _table(region_table.get("values"), f"{where} region.values").items()
    }
    addons: dict[str, dict[str, str]] = {}
    for option, values in _table(table.get("addons"), f"{where} addons").items():
        mapped = {}
        for value, kind in _table(values, f"{where} addons.{option!r}").items():
            kind = str(kind)
            if kind and kind not in ADDON_TYPES:
                raise CatalogConfigError(
                    f"{where} addons.{option!r}.{value!r} = {kind!r}: add-on types are "
                    f'{", ".join(ADDON_TYPES)} (or "" for none)'
                )
            mapped[str(value)] = kind
        addons[str(option)] = mapped
    products = {}
    for pid, ptable in _table(table.get("products"), f"{where} products").items():
        pwhere = f"[panels.{name}.products.{pid}]"
        ptable = _table(ptable, pwhere)
        if not ptable.get("plan"):
            raise CatalogConfigError(f'{pwhere} needs plan = "<Otwa plan name or id>"')
        regions = tuple(str(r) for r in ptable.get("regions") or ())
        region = ptable.get("region") or (regions[0] if regions else None)
        if region and regions and region not in regions:
            raise CatalogConfigError(f"{pwhere} region {region!r} is not in regions {regions}")
        products[str(pid)] = ProductMap(
            product_id=str(pid),
            plan=str(ptable["plan"]),
            regions=regions,
            region=str(region) if region else None,
            os_default=str(ptable["os_default"]) if ptable.get("os_default") else None,
        )
    return PanelCatalog(
        panel=name,
        label_template=label,
        hostname_template=hostname,
        os_option=str(os_table["option"]) if os_table.get("option") else None,
        os_default=str(os_table["default"]) if os_table.get("default") else None,
        os_values=os_values,
        region_option=str(region_table["option"]) if region_table.get("option") else None,
        region_values=region_values,
        addon_options=addons,
        products=products,
    )


def _get(obj: Any, name: str) -> Any:
    """Attribute or key: live catalog items are the Otwa client's models (or plain dicts)."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def valid_hostname(name: str | None) -> bool:
    """RFC 1123 host name (dots allowed, each label 1-63 of a-z 0-9 -), at most 253 chars."""
    if not name or len(name) > 253:
        return False
    return all(HOST_LABEL_RE.fullmatch(part) for part in name.lower().rstrip(".").split("."))


def spellings(value: str) -> list[str]:
    """The ways a panel may spell one option value, most specific first: the value as
    sent, and for a ``value|Display`` pair (a sub-option named the WHMCS way, sent whole
    by a hand-built body) its value part, then its display part."""
    value = value.strip()
    head, sep, tail = value.partition("|")
    if not sep:
        return [value]
    return [v for v in (value, head.strip(), tail.strip()) if v]


def switch(value: str) -> bool | None:
    """A yes/no reading of ``value``: True for a quantity >= 1 or a "yes" word, False for
    0 or a "no" word, None when it is neither (a label such as "Daily")."""
    text = value.strip().lower()
    if text.isdigit():
        return int(text) >= 1
    if text in SWITCH_ON:
        return True
    if text in SWITCH_OFF:
        return False
    return None


def lookup(values: Mapping[str, Any], value: str) -> tuple[str, Any] | None:
    """``(key, mapped)`` of the map entry ``value`` names: exactly, then any spelling of
    it (see :func:`spellings`), then without regard to case; None when none does."""
    for candidate in spellings(value):
        if candidate in values:
            return candidate, values[candidate]
    lowered = {str(k).lower(): k for k in values}
    for candidate in spellings(value):
        key = lowered.get(candidate.lower())
        if key is not None:
            return key, values[key]
    return None


class Catalog:
    """Every panel's products map (see the module docstring for the TOML shape)."""

    def __init__(self, panels: Mapping[str, PanelCatalog]) -> None:
        self.panels = dict(panels)

    @classmethod
    def from_toml(cls, toml: Mapping[str, Any]) -> Catalog:
        """Build from the parsed config file; :class:`CatalogConfigError` names a bad key."""
        return cls(
            {
                str(name): _panel_catalog(str(name), _table(table, f"[panels.{name}]"))
                for name, table in _table(toml.get("panels"), "[panels]").items()
            }
        )

    # -- static placement (intake) ---------------------------------------------------

    def _panel(self, command: Command) -> PanelCatalog:
        panel = self.panels.get(command.panel)
        if panel is None:
            raise refuse(
                "unknown_product",
                f"Panel {command.panel!r} has no products map; add [panels.{command.panel}"
                ".products.<id>] to config/bridge.toml.",
            )
        return panel

    def product(self, command: Command) -> ProductMap:
        """The mapped product of ``command`` (for change_package: the target product)."""
        panel = self._panel(command)
        if command.product_id is None:
            raise refuse(
                "unknown_product",
                f"The {command.action} hook names no product; send service.product_id (pid).",
            )
        product = panel.products.get(command.product_id)
        if product is None:
            raise refuse(
                "unknown_product",
                f"Product {command.product_id!r} of panel {command.panel!r} is not in the "
                f"products map; add [panels.{command.panel}.products.{command.product_id}] "
                "to config/bridge.toml.",
            )
        return product

    def os_for(self, command: Command, product: ProductMap | None = None) -> OsChoice | None:
        """The OS the command asks for: ``params.os`` (reinstall), else the OS option, else
        the product's or panel's default; None when nothing names one."""
        panel = self._panel(command)
        value = command.params.get("os") if command.action == "reinstall" else None
        if value is None and panel.os_option:
            value = command.options.get(panel.os_option)
        if value is None:
            value = (product.os_default if product else None) or panel.os_default
        if value is None:
            return None
        value = str(value)
        found = lookup(panel.os_values, value)
        if found is not None:
            return found[1]  # type: ignore[no-any-return]
        for candidate in spellings(value):
            for choice in panel.os_values.values():
                if candidate in (choice.os, choice.os_template):
                    return choice
        raise refuse(
            "unmapped_option",
            f"OS {value!r} is not in [panels.{command.panel}.os.values]; map it to an Otwa "
            "OS template or remove it from the panel's option list.",
            details={"option": panel.os_option, "value": value},
        )

    def _region(self, command: Command, panel: PanelCatalog, product: ProductMap) -> str | None:
        value = command.options.get(panel.region_option) if panel.region_option else None
        if value is None:
            return product.region
        found = lookup(panel.region_values, value)
        region = str(found[1]) if found is not None else None
        if region is None:
            # A value that already is a slug (of the map or the product) is taken as is.
            slugs = set(panel.region_values.values()) | set(product.regions)
            region = next((c for c in spellings(value) if c in slugs), None)
        if region is None:
            raise refuse(
                "unmapped_option",
                f"Region choice {value!r} is not in [panels.{command.panel}.region.values].",
                details={"option": panel.region_option, "value": value},
            )
        if product.regions and region not in product.regions:
            raise refuse(
                "region_not_allowed",
                f"Region {region!r} is not allowed for product {product.product_id!r}; allowed: "
                f"{', '.join(product.regions)}.",
                details={"region": region, "allowed": list(product.regions)},
            )
        return region

    def _addons(self, command: Command, panel: PanelCatalog) -> list[str]:
        types: list[str] = []
        for option, values in panel.addon_options.items():
            value = command.options.get(option)
            if value is None:
                continue
            kind = self._addon_kind(values, value)
            if kind is None:
                raise refuse(
                    "unmapped_option",
                    f"Add-on choice {value!r} of option {option!r} is not in "
                    f"[panels.{command.panel}.addons.{option!r}].",
                    details={"option": option, "value": value},
                )
            if kind and kind in types:
                raise refuse(
                    "unmapped_option",
                    f"Two options ask for add-on type {kind!r}; Otwa allows one per server.",
                    details={"option": option, "value": value},
                )
            if kind:
                types.append(kind)
        return types

    @staticmethod
    def _addon_kind(values: Mapping[str, str], value: str) -> str | None:
        """The add-on type an option value asks for ("" for none), or None when the map
        cannot tell. A yes/no or quantity value matches a map key of the same yes/no
        reading, so WHMCS's 0/1/n and a hand-written map's "Yes"/"No" meet either way."""
        found = lookup(values, value)
        if found is not None:
            return str(found[1])
        state = switch(value)
        if state is not None:
            kinds = {values[k] for k in values if switch(k) is state}
            if len(kinds) == 1:
                return kinds.pop()
            if state is False:
                return ""  # "no" needs no entry: nothing is ordered
        if value.strip().lower() in NO_ADDON:
            return ""
        return None

    def addon_options(self, panel: str, types: Iterable[str]) -> list[str]:
        """The option names of ``panel``'s map that order any of ``types``."""
        wanted = set(types)
        table = self.panels.get(panel)
        if table is None:
            return []
        return [o for o, values in table.addon_options.items() if wanted & set(values.values())]

    def label(self, command: Command, generation: int) -> str:
        """The Otwa label of the command's server at ``generation``; recognisable later."""
        panel = self._panel(command)
        label = panel.label_template.format(
            panel=command.panel, service=command.service_id, generation=generation
        )
        if not LABEL_RE.fullmatch(label):
            raise refuse(
                "invalid_label",
                f"The label template gives {label!r}, which Otwa refuses (1-64 of letters, "
                "digits, space, - and _); shorten label_template.",
            )
        return label

    def hostname(self, command: Command) -> str:
        """The panel's domain when it is a valid host name, else one from the template."""
        if command.hostname and valid_hostname(command.hostname):
            return command.hostname.lower().rstrip(".")
        panel = self._panel(command)
        name = panel.hostname_template.format(
            panel=command.panel, service=command.service_id, generation=1
        )
        return re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")[:63]

    def place(self, command: Command, generation: int) -> Placement:
        """Everything POST /servers needs for ``command``; raises a 422 BridgeError
        (``unknown_product``, ``unmapped_option``, ``region_not_allowed``) when the
        products map cannot place it. No Otwa call: plan and OS are as configured."""
        panel = self._panel(command)
        product = self.product(command)
        region = self._region(command, panel, product)
        os_choice = self.os_for(command, product)
        if os_choice is None:
            raise refuse(
                "unmapped_option",
                f"No OS chosen and no default; set [panels.{command.panel}.os] default or send "
                f"the {panel.os_option or 'OS'} option.",
            )
        return Placement(
            plan=product.plan,
            region=region,
            os=os_choice.os,
            os_template=os_choice.os_template,
            addon_types=self._addons(command, panel),
            label=self.label(command, generation),
            hostname=self.hostname(command),
        )

    def validate(self, command: Command) -> None:
        """The intake's static check of what ``command.action`` needs from the map."""
        if command.action == "create":
            self.place(command, 1)
        elif command.action == "change_package":
            self.product(command)
        elif command.action == "reinstall":
            product = None
            if command.panel in self.panels and command.product_id is not None:
                product = self.panels[command.panel].products.get(command.product_id)
            if command.panel in self.panels:
                self.os_for(command, product)

    # -- live check (check-config) ---------------------------------------------------

    def check(
        self, products: Iterable[Any], regions: Iterable[Any], os_templates: Iterable[Any]
    ) -> list[str]:
        """Every problem of the map against the live Otwa catalog, one sentence each:
        unknown plan, region not offered (at all / by that plan), OS template not offered,
        add-on type not offered by a plan, default values missing from a value map."""
        products = list(products)
        live_regions = {_get(r, "slug") for r in regions}
        templates = list(os_templates)
        template_ids = {_get(t, "id") for t in templates}
        families = {_get(t, "family") for t in templates}
        problems: list[str] = []
        for name, panel in sorted(self.panels.items()):
            for value, choice in panel.os_values.items():
                if choice.os_template not in template_ids:
                    problems.append(
                        f"panel {name}: OS {value!r} -> template {choice.os_template!r} is not "
                        f"offered by Otwa (templates: {', '.join(sorted(map(str, template_ids)))})"
                    )
                elif choice.os not in template_ids | families:
                    problems.append(f"panel {name}: OS {value!r} -> os {choice.os!r} is unknown")
            for default, where in [(panel.os_default, "os.default")] + [
                (p.os_default, f"products.{p.product_id}.os_default")
                for p in panel.products.values()
            ]:
                if default and default not in panel.os_values:
                    problems.append(
                        f"panel {name}: {where} {default!r} is an unmapped option value "
                        "(not in os.values)"
                    )
            for value, slug in panel.region_values.items():
                if slug not in live_regions:
                    problems.append(
                        f"panel {name}: region choice {value!r} -> {slug!r} is not an Otwa region"
                    )
            wanted_addons = {t for values in panel.addon_options.values() for t in values.values()}
            wanted_addons.discard("")
            for pid, product in sorted(panel.products.items()):
                where = f"panel {name} product {pid}"
                plan = next(
                    (
                        p
                        for p in products
                        if product.plan == _get(p, "id")
                        or product.plan.lower() == str(_get(p, "name")).lower()
                    ),
                    None,
                )
                if plan is None:
                    names = ", ".join(str(_get(p, "name")) for p in products)
                    problems.append(f"{where}: plan {product.plan!r} is unknown (plans: {names})")
                    continue
                offered = set(_get(plan, "regions") or ())
                for region in product.regions or ((product.region,) if product.region else ()):
                    if region not in live_regions:
                        problems.append(f"{where}: region {region!r} is not an Otwa region")
                    elif offered and region not in offered:
                        problems.append(
                            f"{where}: plan {product.plan!r} is not offered in {region!r} "
                            f"(it is in {', '.join(sorted(offered))})"
                        )
                for slug in set(panel.region_values.values()):
                    if product.regions and slug not in product.regions:
                        continue  # refused at intake as region_not_allowed, by design
                    if offered and slug not in offered and slug in live_regions:
                        problems.append(
                            f"{where}: region choice {slug!r} is not offered by plan "
                            f"{product.plan!r}; restrict regions = [...] for this product"
                        )
                addon_types = {_get(a, "type") for a in _get(plan, "addons") or ()}
                for kind in sorted(wanted_addons - addon_types):
                    problems.append(
                        f"{where}: add-on type {kind!r} is not offered by plan {product.plan!r}"
                    )
        return problems
