"""OCI tags lists against a local registry that wants anonymous bearer tokens and paginates."""
from __future__ import annotations

import pytest
from upstream_fakes import EPP_REPO_PATH

from gaie_tui.core.upstream import oci
from gaie_tui.core.upstream.net import HTTPStatusError, NetworkError

IMAGE = "ghcr.io/llm-d/llm-d-router-endpoint-picker"


@pytest.fixture
def reg_env(registry, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url},registry.k8s.io={registry.url}")
    return registry


def test_challenge_parsing():
    header = 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:llm-d/x:pull"'
    assert oci.parse_challenge(header) == {"realm": "https://ghcr.io/token", "service": "ghcr.io",
                                           "scope": "repository:llm-d/x:pull"}
    assert oci.parse_challenge('Basic realm="x"') is None
    assert oci.parse_challenge("") is None


def test_anonymous_token_flow_and_pagination(reg_env, make_session):
    found = oci.fetch_tags(make_session(), IMAGE)
    assert found.releases == ["v0.10.0", "v0.9.0", "v0.8.0"]  # rc, sync, fix, latest, main skipped
    assert found.newest == "v0.10.0"
    assert found.source == f"{reg_env.url}/v2/{EPP_REPO_PATH}/tags/list"
    paths = reg_env.paths()
    assert paths[0] == f"/v2/{EPP_REPO_PATH}/tags/list?n=100"
    assert paths[1].startswith("/token?") and "scope=repository%3Allm-d%2Fllm-d-router-endpoint-picker%3Apull" in paths[1]
    assert "service=fake-registry" in paths[1]
    listed = [s for s in reg_env.seen if "/tags/list" in s.path]
    assert len(listed) == 1 + 3  # the challenged try, then 9 tags in pages of 4
    assert any("last=" in s.path for s in listed)
    assert all(s.headers.get("authorization") == "Bearer anonymous-pull-token" for s in listed[1:])


def test_registry_without_auth(chart_artifacts, make_session, monkeypatch):
    from upstream_fakes import FakeRegistry

    server = FakeRegistry(auth=False).start()
    try:
        server.add_image_tags("llm-d/llm-d-router-endpoint-picker", ["v0.9.0"])
        monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={server.url}")
        assert oci.fetch_tags(make_session(), IMAGE).newest == "v0.9.0"
        assert not any(p.startswith("/token") for p in server.paths())
    finally:
        server.stop()


def test_unknown_repository_is_a_404(reg_env, make_session):
    with pytest.raises(HTTPStatusError) as err:
        oci.fetch_tags(make_session(), "ghcr.io/llm-d/nothing-here")
    assert err.value.status == 404


def test_registry_errors_after_retries(reg_env, make_session):
    reg_env.broken = True
    with pytest.raises(HTTPStatusError):
        oci.fetch_tags(make_session(), IMAGE)
    assert len(reg_env.seen) == 3


def test_tags_cached_then_hit_without_network_then_refreshed_after_ttl(reg_env, make_session, clock):
    first = oci.tags(make_session(), IMAGE)
    assert not first.cached
    reg_env.broken = True  # any request now would fail
    clock.advance(hours=5)
    hit = oci.tags(make_session(), IMAGE)
    assert hit.cached and hit.source == "cache" and hit.releases == first.releases
    assert hit.fetched_at == first.fetched_at
    reg_env.broken = False
    reg_env.add_image_tags(EPP_REPO_PATH, ["v0.11.0"])
    clock.advance(hours=2)  # 7 hours: expired, asked again
    fresh = oci.tags(make_session(), IMAGE)
    assert not fresh.cached and fresh.newest == "v0.11.0"


def test_expired_entry_is_used_when_the_registry_is_down(reg_env, make_session, clock, monkeypatch, dead_url):
    oci.tags(make_session(), IMAGE)
    clock.advance(days=3)
    reg_env.broken = True
    stale = oci.tags(make_session(), IMAGE)
    assert stale.cached and stale.newest == "v0.10.0"
    with pytest.raises(NetworkError):
        oci.tags(make_session(), IMAGE, stale_ok=False)


def test_mirror_with_a_path_prefix(registry, make_session, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url}/ghcr-proxy")
    registry.add_image_tags("ghcr-proxy/llm-d/llm-d-router-endpoint-picker", ["v0.9.0", "v0.10.0"])
    found = oci.fetch_tags(make_session(), IMAGE)
    assert found.releases == ["v0.10.0", "v0.9.0"]
    assert found.source == f"{registry.url}/v2/ghcr-proxy/llm-d/llm-d-router-endpoint-picker/tags/list"


def test_redirect_to_a_regional_backend_that_wants_its_own_token(registry, make_session, monkeypatch):
    from upstream_fakes import Redirector

    front = Redirector(registry).start()
    try:
        monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"registry.k8s.io={front.url}")
        found = oci.fetch_tags(make_session(), "registry.k8s.io/gateway-api-inference-extension/charts/inferencepool")
        assert found.newest == "v1.5.0" and len(found.releases) == 10
        assert found.source == f"{front.url}/v2/gateway-api-inference-extension/charts/inferencepool/tags/list"
        listed = [s for s in registry.seen if "/tags/list" in s.path]
        assert all(s.headers.get("authorization") for s in listed[1:])
    finally:
        front.stop()
