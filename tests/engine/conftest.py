"""Fixtures for the engine tests: the emulator, the real helm, the real chart archives."""
from __future__ import annotations

import os

import pytest
from support import CHARTS


@pytest.fixture(autouse=True)
def engine_env(monkeypatch, helm_bin, tmp_path):
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(CHARTS))
    for var in ("GAIE_TUI_CACHE_DIR", "GAIE_TUI_STATE_DIR", "GAIE_TUI_CONFIG_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("LLMDBENCH_VLLM_COMMON_NAMESPACE", raising=False)
    monkeypatch.setenv("HELM_CACHE_HOME", str(tmp_path / "helm-cache"))
    monkeypatch.setenv("HELM_CONFIG_HOME", str(tmp_path / "helm-config"))
    monkeypatch.setenv("HELM_DATA_HOME", str(tmp_path / "helm-data"))
    os.environ.pop("KUBECONFIG", None)
    yield
