"""Fixtures for the day-two tests: the emulator's existing-releases scenario with the real helm, and real
loopback OCI registries (tests/upstream/upstream_fakes.py) for the image checks.

Every test starts with registries and GitHub pointed at a closed local port and HTTP(S)_PROXY at
that dead port too (NO_PROXY lets 127.0.0.1 through): nothing can reach the internet.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from support import CHARTS, upstream_fakes

fakes = upstream_fakes()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


@pytest.fixture(autouse=True)
def day_two_env(monkeypatch, tmp_path: Path, helm_bin: str, dead_url: str):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "GITHUB_TOKEN", "GH_TOKEN", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
                 "CURL_CA_BUNDLE", "LLMDBENCH_VLLM_COMMON_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", dead_url)
    monkeypatch.setenv("HTTPS_PROXY", dead_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", dead_url)
    monkeypatch.setenv("GAIE_TUI_GITHUB_RAW", dead_url)
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={dead_url},registry.k8s.io={dead_url},"
                                                    f"docker.io={dead_url}")
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(CHARTS))
    for var in ("GAIE_TUI_CACHE_DIR", "GAIE_TUI_STATE_DIR", "GAIE_TUI_CONFIG_DIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    os.environ.pop("KUBECONFIG", None)
    yield


@pytest.fixture
def make_session():
    """Upstream sessions with short timeouts and no sleeping between retries."""
    from gaie_tui.core.upstream.session import Upstream
    made = []

    def make(offline: bool = False, **options):
        opts = {"timeout": 2.0, "connect_timeout": 1.0, "backoff": 0.0, "sleep": lambda s: None}
        opts.update(options)
        session = Upstream.from_env(offline=offline, **opts)
        made.append(session)
        return session

    yield make
    for s in made:
        s.close()
