"""Imports run one way: down the layer list in docs/architecture.md, never up.

The list is read from the doc, so the rule and its documentation cannot drift apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APART = {"bridge.sandbox": {"bridge.logs"}}  # the simulator: its own app


def layers() -> list[str]:
    text = (ROOT / "docs/architecture.md").read_text()
    block = text.split("<!-- layers: top to bottom -->", 1)[1].split("<!-- end of layers -->")[0]
    lines = block.strip().strip("`").removeprefix("text").strip().splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("```")]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every bridge module ``path`` imports, at any depth (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "bridge":
                found |= {f"bridge.{alias.name}" for alias in node.names}
            elif node.module.startswith("bridge."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bridge")}
    return found


def _layer(module: str, order: list[str]) -> str:
    """The layer entry ``module`` belongs to: the longest listed prefix."""
    candidates = [m for m in order if module == m or module.startswith(m + ".")]
    if not candidates and module == "bridge":
        return "bridge"
    assert candidates, f"{module} is in no layer of docs/architecture.md"
    return max(candidates, key=len)


def test_every_import_points_down_the_layer_list() -> None:
    order = layers()
    rank = {name: index for index, name in enumerate(order)}
    upward = []
    for path in sorted((ROOT / "bridge").rglob("*.py")):
        source = _module(path)
        home = _layer(source, order) if not source.startswith("bridge.sandbox") else None
        for target in sorted(_imports(path)):
            if home is None:  # the sandbox
                if (
                    not target.startswith("bridge.sandbox")
                    and target not in APART["bridge.sandbox"]
                ):
                    upward.append(f"{source} -> {target} (the sandbox stands apart)")
                continue
            if target.startswith("bridge.sandbox"):
                if home not in ("bridge.cli", "bridge.devstack"):
                    upward.append(f"{source} -> {target} (only the CLI starts the sandbox)")
                continue
            there = _layer(target, order)
            if there != home and rank[there] < rank[home]:
                upward.append(f"{source} -> {target} ({there} is above {home})")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_the_layer_list_names_every_package_and_top_level_module() -> None:
    order = set(layers())
    present = {
        _module(p)
        for p in (ROOT / "bridge").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists())
    }
    missing = present - order - {"bridge.sandbox"} - {"bridge"}
    assert not missing, f"add these to the layer list in docs/architecture.md: {missing}"


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from bridge.web import hooks\nimport bridge.provisioning.runner\n")
    assert _imports(probe) == {"bridge.web", "bridge.provisioning.runner"}
    order = layers()
    assert order.index("bridge.web") < order.index("bridge.otwa")  # otwa -> web would be up
