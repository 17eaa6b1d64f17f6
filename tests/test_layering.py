"""The core never imports Textual; runtime code never reads ../shared."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "gaie_tui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_and_sim_never_import_textual_or_ui():
    offenders = []
    for folder in ("core", "sim"):
        for path in (PKG / folder).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] == "textual" or name.startswith("gaie_tui.ui"):
                    offenders.append(f"{path.relative_to(PKG)} imports {name}")
    assert not offenders, offenders


def test_runtime_code_does_not_read_shared_folder():
    hits = [str(p) for p in PKG.rglob("*.py") if "../shared" in p.read_text(encoding="utf-8")]
    assert not hits
