"""Paths and chart lists every test module may import (`from support import …`).

They live here, not in conftest.py, because each test folder has its own conftest.py and only one
module can be called `conftest` at a time: importing from it picks whichever loaded first.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GAIE_TUI_SHARED", ROOT.parent / "shared"))
CHARTS = SHARED / "charts"


def chart_archives() -> list[Path]:
    return sorted(CHARTS.glob("*.tgz")) if CHARTS.is_dir() else []


def _version_key(p: Path):
    from gaie_tui.core.charts import versions
    name, _, ver = p.stem.rpartition("-")
    return (name, versions.key(ver))


ALL_CHARTS = sorted(chart_archives(), key=_version_key)
CHART_IDS = [p.stem for p in ALL_CHARTS]


def upstream_fakes():
    """tests/upstream/upstream_fakes.py (real local HTTP servers answering like GitHub and an OCI
    registry), importable from any test folder without going through a conftest."""
    import importlib
    import sys
    folder = str(ROOT / "tests" / "upstream")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module("upstream_fakes")


def alias_bomb(indent: str = "") -> str:
    """A YAML billion-laughs: eight anchors of ten aliases each, 10**8 values in under 400 bytes."""
    x = '"x"'
    lines = ["a: &a [" + ",".join([x] * 10) + "]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
    return "".join(f"{indent}{line}\n" for line in lines)
