"""Fixtures for the security tests: the real helm, the real chart archives, private folders."""
from __future__ import annotations

import os

import pytest
from support import CHARTS


@pytest.fixture(autouse=True)
def security_env(monkeypatch, helm_bin, tmp_path):
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(CHARTS))
    for var in ("GAIE_TUI_CACHE_DIR", "GAIE_TUI_STATE_DIR", "GAIE_TUI_CONFIG_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("LLMDBENCH_VLLM_COMMON_NAMESPACE", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    os.environ.pop("KUBECONFIG", None)
    yield
