"""Shared helpers for the checker tests (imported by name; tests/checker has no conftest.py so that
`from conftest import …` keeps meaning the suite's root conftest)."""
from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest
from support import ALL_CHARTS, CHART_IDS, CHARTS, SHARED  # noqa: F401  (root tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / ".tools" / "bin" / "helm"
PROVIDERS = ("istio", "gke", "kgateway", "agentgateway", "none")


def chart_id_parts(cid: str) -> tuple[str, str]:
    name, _, ver = cid.rpartition("-")
    return name, ver


@functools.cache
def _store():
    import os

    from gaie_tui.core.charts.store import KnowledgeStore
    old = os.environ.get("GAIE_TUI_CHART_DIRS")
    os.environ["GAIE_TUI_CHART_DIRS"] = str(CHARTS)
    try:
        return KnowledgeStore()
    finally:
        if old is None:
            os.environ.pop("GAIE_TUI_CHART_DIRS", None)
        else:
            os.environ["GAIE_TUI_CHART_DIRS"] = old


@functools.cache
def chart(cid: str):
    """A Chart with its real archive, e.g. chart('inferencepool-v1.4.0')."""
    import os

    from gaie_tui.core.charts.refs import parse_ref
    name, ver = chart_id_parts(cid)
    old = os.environ.get("GAIE_TUI_CHART_DIRS")
    os.environ["GAIE_TUI_CHART_DIRS"] = str(CHARTS)
    try:
        c = _store().get(parse_ref(f"{name}@{ver}"))
    finally:
        if old is None:
            os.environ.pop("GAIE_TUI_CHART_DIRS", None)
        else:
            os.environ["GAIE_TUI_CHART_DIRS"] = old
    assert c.archive is not None, f"{cid}: the real archive is needed"
    return c


def check(text: str, cid: str, deep: bool = False):
    from gaie_tui.core.check.checker import check_text
    return check_text(textwrap.dedent(text), chart(cid), deep=deep, helm=str(HELM) if HELM.exists() else None)


def codes(diags) -> list[str]:
    return [d.code for d in diags]


def at_least_warning(diags):
    return [d for d in diags if d.severity in ("error", "warning")]


def one(diags, code: str):
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.path, d.line) for d in diags]}"
    return found[0]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` in the dedented text."""
    for i, ln in enumerate(textwrap.dedent(text).splitlines(), 1):
        if needle in ln:
            return i
    raise AssertionError(f"{needle!r} not in text")


def generated(cid: str, provider: str, **answers) -> str:
    from gaie_tui.core.values.generate import Answers, generate
    return generate(chart(cid), Answers(provider=provider, **answers)).text


@pytest.fixture(autouse=True)
def chart_dirs(monkeypatch, shared_dir):
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(CHARTS))
    monkeypatch.delenv("NO_COLOR", raising=False)
    if HELM.exists():
        monkeypatch.setenv("GAIE_TUI_HELM", str(HELM))
