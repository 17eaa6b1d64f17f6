"""Network plumbing: proxies, CA bundles, mirrors, retries and offline detection, for httpx and
for the real helm binary."""
from __future__ import annotations

import pytest
from upstream_fakes import FakeGitHub, RecordingProxy, self_signed, server_tls

from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.errors import UserError
from gaie_tui.core.upstream import github
from gaie_tui.core.upstream.charts import resolve_chart_archive
from gaie_tui.core.upstream.net import Endpoints, Mirror, NetworkError, OfflineError, ca_bundle, parse_mirrors


def test_mirrors_are_parsed():
    mirrors = parse_mirrors(" ghcr.io=http://127.0.0.1:5000 , Registry.K8s.io=harbor.corp/k8s,")
    assert mirrors == {"ghcr.io": Mirror("http://127.0.0.1:5000"),
                       "registry.k8s.io": Mirror("https://harbor.corp/k8s")}
    assert mirrors["ghcr.io"].plain_http and mirrors["ghcr.io"].host_and_prefix == "127.0.0.1:5000"
    assert not mirrors["registry.k8s.io"].plain_http


@pytest.mark.parametrize("bad", ["ghcr.io", "=http://x", "ghcr.io=", "ghcr.io/x=http://y", "ghcr.io=ftp://x"])
def test_bad_mirrors_are_user_errors(bad):
    with pytest.raises(UserError):
        parse_mirrors(bad)


def test_endpoint_defaults_are_the_public_hosts():
    e = Endpoints.from_env({})
    assert e.github_api == "https://api.github.com"
    assert e.github_raw == "https://raw.githubusercontent.com"
    assert e.registry_location("ghcr.io", "llm-d/x") == ("https://ghcr.io", "llm-d/x")


def test_mirror_prefix_goes_in_front_of_the_repository():
    e = Endpoints.from_env({"GAIE_TUI_REGISTRY_MIRRORS": "ghcr.io=https://harbor.corp/ghcr-proxy/,registry.k8s.io=http://10.1.2.3:5000"})
    assert e.registry_location("ghcr.io", "llm-d/x") == ("https://harbor.corp", "ghcr-proxy/llm-d/x")
    assert e.registry_location("registry.k8s.io", "a/b") == ("http://10.1.2.3:5000", "a/b")


def test_ca_bundle_comes_from_the_usual_variables():
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/b"}) == "/b"
    assert ca_bundle({"SSL_CERT_FILE": "/a", "REQUESTS_CA_BUNDLE": "/b"}) == "/a"
    assert ca_bundle({}) is None


def test_http_proxy_is_used(github, monkeypatch, make_session):
    proxy = RecordingProxy(upstream=github).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        # a host name that does not resolve: only the proxy can have answered
        monkeypatch.setenv("GAIE_TUI_GITHUB_API", "http://api.github.test")
        found = github_releases(make_session())
        assert found.newest == "v0.10.0"
        assert proxy.seen[0].path == "http://api.github.test/repos/llm-d/llm-d-router/releases/latest"
        assert github.seen == []  # the proxy relayed in-process; nothing reached the server directly
    finally:
        proxy.stop()


def test_no_proxy_bypasses_the_proxy(github, monkeypatch, make_session):
    proxy = RecordingProxy(upstream=github).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
        assert github_releases(make_session()).newest == "v0.10.0"
        assert proxy.seen == [] and github.seen
    finally:
        proxy.stop()


def github_releases(session):
    return github.fetch_releases(session)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"), "api.github.test")


@pytest.fixture
def tls_github(certificate):
    cert, key = certificate
    server = FakeGitHub()
    server.repos["llm-d/llm-d-router"] = [{"tag_name": "v0.10.0", "draft": False, "prerelease": False}]
    server.latest["llm-d/llm-d-router"] = "v0.10.0"
    server.start(tls=server_tls(cert, key))
    yield server, cert
    server.stop()


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_https_proxy_tunnel_and_custom_ca_bundle(tls_github, monkeypatch, make_session, variable):
    server, cert = tls_github
    proxy = RecordingProxy(tunnel_port=server.port).start()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv(variable, str(cert))
        monkeypatch.setenv("GAIE_TUI_GITHUB_API", "https://api.github.test")
        assert github_releases(make_session()).newest == "v0.10.0"
        assert proxy.seen[0].method == "CONNECT" and proxy.seen[0].path == "api.github.test:443"
        assert server.paths()[0] == "/repos/llm-d/llm-d-router/releases/latest"
    finally:
        proxy.stop()


def test_unknown_certificate_authority_is_refused(tls_github, monkeypatch, make_session):
    server, _ = tls_github
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", server.url)
    with pytest.raises(NetworkError, match="CERTIFICATE_VERIFY_FAILED"):
        github_releases(make_session(retries=0))


def test_helm_goes_through_the_proxy_too(registry, monkeypatch, make_session):
    # Go never proxies 127.0.0.1, so the mirror gets a name that only the proxy can resolve (helm
    # also refuses a token realm on a loopback address when the registry is not: same name there).
    registry.realm_base = "http://registry.test"
    proxy = RecordingProxy(upstream=registry).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", "registry.k8s.io=http://registry.test")
        archive = resolve_chart_archive(parse_ref("inferencepool@v1.2.1"), make_session())
        assert archive.version == "v1.2.1"
        asked = [s.path for s in proxy.seen]
        assert "http://registry.test/v2/gateway-api-inference-extension/charts/inferencepool/manifests/v1.2.1" in asked
        assert any(p.startswith("http://registry.test/token?") for p in asked)
        assert registry.seen == []  # everything went through the proxy
    finally:
        proxy.stop()


def test_forced_offline_sends_nothing(github, monkeypatch, make_session):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    session = make_session(offline=True)
    with pytest.raises(OfflineError):
        github_releases(session)
    assert github.seen == [] and session.offline


def test_first_failed_connection_makes_the_session_offline(dead_url, github, monkeypatch, make_session):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", dead_url)
    tries = []
    session = make_session(sleep=tries.append, backoff=0.1)
    with pytest.raises(NetworkError, match="could not be reached"):
        github_releases(session)
    assert tries == [0.1, 0.2]  # two retries with growing backoff
    assert session.offline
    # another host still gets one try, without retries, and a success ends the offline state
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    session.endpoints = Endpoints.from_env()
    assert github_releases(session).newest == "v0.10.0"
    assert not session.offline


def test_missing_ca_bundle_is_a_clear_user_error(github, monkeypatch, make_session, tmp_path):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "nope.pem"))
    with pytest.raises(UserError, match="REQUESTS_CA_BUNDLE names .*nope.pem, which is not a readable PEM CA bundle"):
        github_releases(make_session())
