"""Helpers for the layering and migration tests: the checker's test kit (real archives, real helm)
plus llm-d's values files (tests/values has no conftest.py, like tests/checker)."""
from __future__ import annotations

import sys

from support import ROOT, SHARED

sys.path.insert(0, str(ROOT / "tests" / "checker"))
from checker_testkit import HELM, PROVIDERS, chart, chart_dirs, generated  # noqa: E402, F401

GUIDES = SHARED / "upstream" / "llm-d" / "history" / "guides"


def layer_files(*rel: str) -> list[tuple[str, str]]:
    """(name, text) pairs for llm-d's files, named as a user in the guides folder would type them."""
    return [(r, (GUIDES / r).read_text(encoding="utf-8")) for r in rel]
