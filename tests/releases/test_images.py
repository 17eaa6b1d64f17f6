"""Images that really pull: the EPP image reference asked of a real loopback OCI registry (anonymous
bearer tokens, HEAD of the manifest), through mirrors and proxies, with pull-secret credentials
read only when the registry refuses an anonymous pull; offline is a skip, never a crash."""
from __future__ import annotations

import pytest
from releases_kit import (
    GAIE_EPP_PATH,
    PASSWORD,
    ROUTER_EPP_PATH,
    SCHEDULER_PATH,
    USER,
    PrivateRegistry,
    docker_config,
    fakes,
)

from gaie_tui.core.cluster.checks import FAIL, PASS, SKIP
from gaie_tui.core.upstream import images

EPP = "ghcr.io/llm-d/llm-d-router-endpoint-picker"
SCHEDULER = "ghcr.io/llm-d/llm-d-inference-scheduler"
GAIE_EPP = "registry.k8s.io/gateway-api-inference-extension/epp"


@pytest.fixture
def registry(monkeypatch):
    """ghcr.io and registry.k8s.io on one loopback registry: the router EPP and the chart's EPP
    anonymously pullable, the renamed scheduler repository answering 401 to anonymous requests."""
    server = PrivateRegistry(private={SCHEDULER_PATH})
    server.page_size = 4
    server.add_image_tags(ROUTER_EPP_PATH, ["v0.9.0", "v0.10.0", "latest", "main", "v0.10.1-rc.1"])
    server.add_image_tags(GAIE_EPP_PATH, ["v1.4.0", "v1.5.0"])
    server.add_image_tags(SCHEDULER_PATH, ["v0.7.1", "v0.8.0"])
    server.start()
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={server.url},registry.k8s.io={server.url}")
    yield server
    server.stop()


def _manifest_heads(server) -> list[str]:
    return [s.path for s in server.seen if s.method == "HEAD"]


def test_existing_tag_resolves_with_an_anonymous_token(registry, make_session):
    st = images.pull_status(make_session(), f"{EPP}:v0.10.0")
    assert st.ok and st.state == images.OK and "anonymously" in st.message
    assert st.digest.startswith("sha256:") and st.source == f"{registry.url}/v2/{ROUTER_EPP_PATH}/manifests/v0.10.0"
    heads = [s for s in registry.seen if s.method == "HEAD"]
    assert len(heads) == 2 and "authorization" not in heads[0].headers  # challenged, then with the token
    assert heads[1].headers["authorization"] == f"Bearer {registry.TOKEN}"
    assert any(p.startswith("/token?") and "repository%3Allm-d%2Fllm-d-router-endpoint-picker%3Apull" in p
               for p in registry.paths())


def test_missing_tag_names_the_tags_that_exist(registry, make_session):
    st = images.pull_status(make_session(), f"{EPP}:v0.11.0")
    assert st.state == images.MISSING_TAG and not st.ok and st.failing
    assert "tag v0.11.0 does not exist in ghcr.io/llm-d/llm-d-router-endpoint-picker" in st.message
    assert st.tags == ("v0.10.0", "v0.9.0")  # releases only: latest, main and the rc are never offered
    assert "v0.10.0" in st.hint


def test_missing_repository(registry, make_session):
    st = images.pull_status(make_session(), "ghcr.io/llm-d/no-such-picker:v1.0.0")
    assert st.state == images.MISSING_REPO and "does not exist" in st.message


def test_repository_answering_401_anonymously_is_denied(registry, make_session):
    st = images.pull_status(make_session(), f"{SCHEDULER}:v0.8.0")
    assert st.state == images.DENIED and st.failing
    assert "ghcr.io/llm-d/llm-d-inference-scheduler does not answer anonymously (HTTP 401)" in st.message
    assert not _manifest_heads(registry)[1:]  # no token: the manifest was asked once, without one


def test_manifest_refused_with_403_after_an_anonymous_token(make_session, monkeypatch):
    server = PrivateRegistry(private={SCHEDULER_PATH}, deny_manifests=True).start()
    try:
        server.add_image_tags(SCHEDULER_PATH, ["v0.8.0"])
        monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={server.url}")
        st = images.pull_status(make_session(), f"{SCHEDULER}:v0.8.0")
        assert st.state == images.DENIED and "HTTP 403" in st.message
    finally:
        server.stop()


def test_pull_secret_credentials_open_a_private_repository_and_are_never_kept(registry, make_session):
    asked: list[str] = []

    def source(host):
        asked.append(host)
        return "ghcr-pull", images.Credentials(USER, PASSWORD)

    anonymous_ok = images.pull_status(make_session(), f"{EPP}:v0.10.0", credentials=source)
    assert anonymous_ok.ok and asked == []  # anonymous pulls never touch the secret
    st = images.pull_status(make_session(), f"{SCHEDULER}:v0.8.0", credentials=source)
    assert st.ok and st.with_secret == "ghcr-pull" and "with the credentials of secret ghcr-pull" in st.message
    assert asked == ["ghcr.io"]
    assert PASSWORD not in repr(st) and PASSWORD not in str(st.to_dict())
    assert PASSWORD not in repr(images.Credentials(USER, PASSWORD))
    wrong = images.pull_status(make_session(), f"{SCHEDULER}:v0.8.0",
                               credentials=lambda h: ("old-secret", images.Credentials(USER, "expired")))
    assert wrong.state == images.DENIED and "with the credentials of secret old-secret" in wrong.message


def test_latest_fails_and_names_the_release_to_pin(registry, make_session):
    st = images.pull_status(make_session(), f"{EPP}:latest")
    assert st.state == images.UNPINNED and st.failing
    assert "`latest`" in st.message and f"{EPP}:v0.10.0" in st.hint
    untagged = images.pull_status(make_session(), EPP)
    assert untagged.state == images.UNPINNED and "no tag" in untagged.message


def test_mirror_with_a_path_prefix_is_asked_instead(registry, make_session, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url}/ghcr-mirror")
    registry.add_image_tags(f"ghcr-mirror/{ROUTER_EPP_PATH}", ["v0.10.0"])
    st = images.pull_status(make_session(), f"{EPP}:v0.10.0")
    assert st.ok and st.source == f"{registry.url}/v2/ghcr-mirror/{ROUTER_EPP_PATH}/manifests/v0.10.0"
    assert images.pull_status(make_session(), f"{EPP}:v0.9.0").state == images.MISSING_TAG  # not mirrored


def test_a_proxy_carries_the_requests(registry, make_session, monkeypatch):
    proxy = fakes.RecordingProxy(upstream=registry).start()
    try:
        registry.realm_base = "http://registry.test"  # the token realm must be reached through the proxy too
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", "ghcr.io=http://registry.test")  # does not resolve
        st = images.pull_status(make_session(), f"{EPP}:v0.10.0")
        assert st.ok, st
        assert [s.path.split("?")[0] for s in proxy.seen] == [
            f"http://registry.test/v2/{ROUTER_EPP_PATH}/manifests/v0.10.0", "http://registry.test/token",
            f"http://registry.test/v2/{ROUTER_EPP_PATH}/manifests/v0.10.0"]
    finally:
        proxy.stop()


def test_offline_is_a_state_not_an_error(make_session, dead_url, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={dead_url}")
    st = images.pull_status(make_session(), f"{EPP}:v0.10.0")
    assert st.state == images.OFFLINE and not st.failing and "not checked" in st.message
    forced = images.pull_status(make_session(offline=True), f"{EPP}:v0.10.0")
    assert forced.state == images.OFFLINE and "offline" in forced.message


@pytest.mark.parametrize("text", ["", "UPPER/Case:v1", "ghcr.io/x y:v1", "ghcr.io/llm-d/x:"])
def test_invalid_references(text, make_session):
    assert images.pull_status(make_session(), text).state == images.INVALID


def test_reference_parsing_follows_the_container_runtime():
    r = images.parse_reference("vllm/vllm-openai:v0.9.1")
    assert (r.host, r.path, r.tag) == ("docker.io", "vllm/vllm-openai", "v0.9.1")
    assert images.parse_reference("busybox").path == "library/busybox"
    r = images.parse_reference("localhost:5000/epp@sha256:" + "a" * 64)
    assert (r.host, r.path, r.tag, r.reference) == ("localhost:5000", "epp", "", "sha256:" + "a" * 64)


def test_image_choices_for_inferencepool_with_pull_status(registry, make_session):
    out = images.image_choices("inferencepool", "v1.5.0", make_session())
    by_image = {c.image: c for c in out.choices}
    assert list(by_image) == [f"{SCHEDULER}:v0.8.0", f"{GAIE_EPP}:v1.5.0", f"{EPP}:v0.10.0"]
    paired, default, newest = out.choices
    assert paired.pull.state == images.DENIED and "renamed" in paired.note and not paired.recommended
    assert default.pull.ok and default.recommended and "chart's own default" in default.label
    assert newest.pull.ok and "skew" in newest.note and not newest.recommended
    assert "llm-d-router-gateway is the maintained successor" in out.successor_note


def test_image_choices_for_the_successor_chart(registry, make_session):
    out = images.image_choices("llm-d-router-gateway", "v0.10.0", make_session())
    assert [(c.image, c.recommended, c.pull.ok) for c in out.choices] == [(f"{EPP}:v0.10.0", True, True)]
    assert out.successor_note == ""


def test_unchecked_choices_need_no_network():
    out = images.image_choices("inferencepool", "v1.4.0", None, check=False)
    assert [c.image for c in out.choices] == [f"{SCHEDULER}:v0.7.1", f"{GAIE_EPP}:v1.4.0", f"{EPP}:v0.10.0"]
    assert all(c.pull is None for c in out.choices) and out.choices[0].recommended


# ---- the preflight check -------------------------------------------------------------------------
def _expected(image: str, chart: str = "inferencepool", version: str = "v1.5.0"):
    from gaie_tui.core.verify.checks import Expected
    return Expected(release="gaie", namespace="llm-d", chart_name=chart, chart_version=version, epp="gaie-epp",
                    epp_image=image)


def test_preflight_check_fails_with_what_to_choose_instead(registry, make_session):
    from gaie_tui.core.cluster.preflight import image_check
    c = image_check(_expected(f"{SCHEDULER}:v0.8.0"), None, make_session())
    assert c.id == "epp-image-pull" and c.status == FAIL
    assert f"{SCHEDULER}" in c.evidence and "anonymously" in c.evidence
    assert "renders no imagePullSecrets" in c.remedy and "mirror the image" in c.remedy
    assert f"{GAIE_EPP}:v1.5.0 (the chart's own default endpoint picker)" in c.remedy
    assert "llm-d-router-gateway is the maintained successor" in c.remedy
    ok = image_check(_expected(f"{GAIE_EPP}:v1.5.0"), None, make_session())
    assert ok.status == PASS and "resolves" in ok.evidence
    missing = image_check(_expected(f"{EPP}:v0.11.0"), None, make_session())
    assert missing.status == FAIL and "v0.10.0" in missing.remedy
    latest = image_check(_expected(f"{EPP}:latest"), None, make_session())
    assert latest.status == FAIL and f"{EPP}:v0.10.0" in latest.remedy


def test_preflight_check_offline_is_a_skip_with_a_note(make_session):
    from gaie_tui.core.cluster.preflight import image_check
    c = image_check(_expected(f"{EPP}:v0.10.0"), None, make_session(offline=True))
    assert c.status == SKIP and "not checked" in c.evidence and "offline" in c.evidence


def test_pull_secret_from_the_cluster_is_read_only_when_needed(registry, make_session):
    """The emulator holds a dockerconfigjson secret that the live EPP ServiceAccount names (someone
    patched it in): the check uses it for the private repository, and reads it only then."""
    from gaie_tui.core.cluster.kube import Cluster
    from gaie_tui.core.cluster.preflight import image_check
    from gaie_tui.sim.demo import simulated_cluster

    with simulated_cluster("llm-d-ready", ready_delay=0.1) as sc:
        store = sc.server.store
        secrets = store.registry.lookup("", "v1", "secrets")
        sas = store.registry.lookup("", "v1", "serviceaccounts")
        store.create(secrets, "llm-d", {"metadata": {"name": "ghcr-pull"}, "type": "kubernetes.io/dockerconfigjson",
                                        "data": {".dockerconfigjson": docker_config("ghcr.io")}})
        store.create(sas, "llm-d", {"metadata": {"name": "gaie-epp"}, "imagePullSecrets": [{"name": "ghcr-pull"}]})
        exp = _expected(f"{SCHEDULER}:v0.8.0")
        exp.rendered = {"Deployment": {"spec": {"template": {"spec": {"serviceAccountName": "gaie-epp"}}}}}
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        try:
            c = image_check(exp, cluster, make_session())
            reads = [r for r in sc.server.request_log if "/secrets/ghcr-pull" in r]
            assert c.status == PASS and "with the credentials of secret ghcr-pull" in c.evidence, c
            assert len(reads) == 1 and "pull secrets ghcr-pull" in c.looked_at
            assert PASSWORD not in str(c.to_dict())
            sc.server.request_log.clear()
            assert image_check(_expected(f"{EPP}:v0.10.0") , cluster, make_session()).status == PASS
            assert not [r for r in sc.server.request_log if "/secrets/" in r]
        finally:
            cluster.close()
