"""Fixtures for the upstream tests: isolated folders and environment, and real local servers.

Every test starts with an environment in which any request to a real host fails at once: the
GitHub endpoints and the registry mirrors point at a closed local port, and HTTP(S)_PROXY points
at that dead port too (NO_PROXY lets 127.0.0.1 through), so nothing can reach the internet.
"""
from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from upstream_fakes import CHART_REPOS, EPP_REPO_PATH, EPP_TAGS, GITHUB_RELEASES, FakeGitHub, FakeRegistry


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
                 "all_proxy", "no_proxy", "GITHUB_TOKEN", "GH_TOKEN", "SSL_CERT_FILE", "SSL_CERT_DIR",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GAIE_TUI_HELM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", dead)
    monkeypatch.setenv("HTTPS_PROXY", dead)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", dead)
    monkeypatch.setenv("GAIE_TUI_GITHUB_RAW", dead)
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={dead},registry.k8s.io={dead}")
    monkeypatch.setenv("GAIE_TUI_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "DOCKER_CONFIG"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return tmp_path


@pytest.fixture(scope="session")
def chart_artifacts(shared_dir: Path) -> dict[tuple[str, str], bytes]:
    found = {}
    for path in sorted((shared_dir / "charts").glob("*.tgz")):
        family, _, version = path.stem.rpartition("-")
        found[(family, version)] = path.read_bytes()
    assert found, "no chart archives in ../shared/charts"
    return found


@pytest.fixture
def github():
    server = FakeGitHub()
    server.repos["llm-d/llm-d-router"] = list(GITHUB_RELEASES)
    server.latest["llm-d/llm-d-router"] = "v0.10.0"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def registry(chart_artifacts):
    server = FakeRegistry(auth=True)
    server.page_size = 4  # small pages, so every listing goes through Link pagination
    server.add_image_tags(EPP_REPO_PATH, EPP_TAGS)
    for (family, version), data in chart_artifacts.items():
        server.add_chart(CHART_REPOS[family], version, data)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wired(github, registry, monkeypatch):
    """Both fake upstreams in place of GitHub, ghcr.io and registry.k8s.io."""
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    monkeypatch.setenv("GAIE_TUI_GITHUB_RAW", github.url)
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url},registry.k8s.io={registry.url}")
    return github, registry


class Clock:
    """A clock the test moves forward to expire cache entries."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_session(clock, helm_bin):
    """Sessions with short timeouts and no real sleeping between retries."""
    from gaie_tui.core.upstream.session import Upstream

    made = []

    def make(offline: bool = False, **options):
        opts = {"timeout": 2.0, "connect_timeout": 1.0, "backoff": 0.0, "sleep": lambda s: None}
        opts.update(options)
        session = Upstream.from_env(offline=offline, clock=clock, **opts)
        session.helm = helm_bin
        made.append(session)
        return session

    yield make
    for s in made:
        s.close()


