"""Chart archives of exact versions: the real helm pulls from a local OCI registry."""
from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest

from gaie_tui.core.charts.refs import ChartRef, parse_ref
from gaie_tui.core.errors import UserError
from gaie_tui.core.upstream import charts
from gaie_tui.core.upstream.charts import (
    ChartUnavailable,
    CorruptArchive,
    read_member,
    resolve_chart_archive,
    resolve_values,
)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_helm_pulls_the_exact_version_through_a_plain_http_mirror(wired, make_session, chart_artifacts):
    _, registry = wired
    archive = resolve_chart_archive(parse_ref("inferencepool@v1.5.0"), make_session())
    assert archive.name == "inferencepool" and archive.version == "v1.5.0"
    assert archive.digest == digest_of(chart_artifacts[("inferencepool", "v1.5.0")])
    assert archive.source == f"oci://127.0.0.1:{registry.port}/gateway-api-inference-extension/charts/inferencepool:v1.5.0"
    assert archive.path.is_file() and archive.path.read_bytes() == chart_artifacts[("inferencepool", "v1.5.0")]
    assert "replicas" in read_member(archive, "values.yaml")
    # what the real helm asked for: a manifest by tag, a token, then the two blobs
    paths = registry.paths()
    assert any(p.endswith("/manifests/v1.5.0") for p in paths)
    assert any(p.startswith("/token?") for p in paths)
    assert sum("/blobs/sha256:" in p for p in paths) == 2


def test_second_resolution_comes_from_the_cache_without_network(wired, make_session, clock):
    _, registry = wired
    first = resolve_chart_archive(parse_ref("llm-d-router-gateway@v0.10.0"), make_session())
    registry.stop()
    clock.advance(days=365)  # chart versions are immutable: the cache never expires
    again = resolve_chart_archive(parse_ref("llm-d-router-gateway@v0.10.0"), make_session(offline=True))
    assert again.source == "cache"
    assert again.digest == first.digest and again.path == first.path
    assert again.fetched_at == first.fetched_at


def test_private_mirror_address_is_first_class(registry, make_session, monkeypatch, chart_artifacts):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"harbor.example={registry.url}/charts-proxy")
    registry.add_chart("charts-proxy/charts/inferencepool", "v1.3.0", chart_artifacts[("inferencepool", "v1.3.0")])
    ref = parse_ref("oci://harbor.example/charts/inferencepool@v1.3.0")
    archive = resolve_chart_archive(ref, make_session())
    assert archive.version == "v1.3.0" and archive.name == "inferencepool"
    assert any(p.startswith("/v2/charts-proxy/charts/inferencepool/manifests/v1.3.0") for p in registry.paths())


def test_local_archive_always_wins(wired, make_session, shared_dir):
    _, registry = wired
    path = shared_dir / "charts" / "inferencepool-v1.2.0.tgz"
    archive = resolve_chart_archive(ChartRef(path=path), make_session(offline=True))
    assert archive.source == "local" and archive.path == path and archive.version == "v1.2.0"
    assert archive.digest == digest_of(path.read_bytes())
    assert registry.seen == []


def test_local_chart_folder(tmp_path, make_session, shared_dir):
    with tarfile.open(shared_dir / "charts" / "inferencepool-v1.0.0.tgz") as tar:
        tar.extractall(tmp_path, filter="data")
    archive = resolve_chart_archive(ChartRef(path=tmp_path / "inferencepool"), make_session())
    assert archive.version == "v1.0.0" and archive.digest.startswith("sha256:")
    assert read_member(archive, "values.yaml")


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("content, why", [
    (b"<html>Sign in to your proxy</html>", "not a readable gzip-compressed tar"),
    (gzip.compress(b"just some text, not a tar", mtime=0), "not a readable gzip-compressed tar"),
    (_tar_gz({"inferencepool/values.yaml": b"a: 1\n"}), "has no <chart>/Chart.yaml"),
    (_tar_gz({"x/Chart.yaml": b": : :\n  - ]"}), "Chart.yaml is not YAML"),
], ids=["html-page", "gzip-not-tar", "no-chart-yaml", "chart-yaml-not-yaml"])
def test_corrupt_local_archive_is_refused_naming_the_file(tmp_path, make_session, content, why):
    bad = tmp_path / "inferencepool-v1.5.0.tgz"
    bad.write_bytes(content)
    with pytest.raises(CorruptArchive) as err:
        resolve_chart_archive(ChartRef(path=bad), make_session())
    assert str(bad) in err.value.message and why in err.value.message
    assert isinstance(err.value, UserError)


def test_truncated_archive_is_refused(tmp_path, make_session, chart_artifacts):
    bad = tmp_path / "chart.tgz"
    bad.write_bytes(chart_artifacts[("inferencepool", "v1.5.0")][:4000])
    with pytest.raises(CorruptArchive, match="chart.tgz is not a chart archive"):
        resolve_chart_archive(ChartRef(path=bad), make_session())


def test_registry_serving_garbage_is_refused(registry, make_session, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url}")
    registry.add_raw_chart("llm-d/charts/llm-d-router-gateway", "v0.11.0",
                           {"apiVersion": "v2", "name": "llm-d-router-gateway", "version": "v0.11.0"},
                           b"<html>captive portal</html>")
    session = make_session()
    with pytest.raises(CorruptArchive) as err:
        resolve_chart_archive(parse_ref("oci://ghcr.io/llm-d/charts/llm-d-router-gateway@v0.11.0"), session)
    assert err.value.message.startswith(f"what helm pulled from oci://127.0.0.1:{registry.port}/llm-d/charts/"
                                        "llm-d-router-gateway:v0.11.0 is not a chart archive")
    assert not list(session.cache.root.glob("charts/*/v0.11.0/*"))  # nothing broken left in the cache


def test_damaged_cache_entry_is_pulled_again(wired, make_session):
    ok = resolve_chart_archive(parse_ref("llm-d-router-gateway@v0.9.0"), make_session())
    good = ok.path.read_bytes()
    ok.path.write_bytes(b"damaged on disk")  # a damaged cache entry is pulled again, not trusted
    again = resolve_chart_archive(parse_ref("llm-d-router-gateway@v0.9.0"), make_session())
    assert again.source != "cache" and again.path.read_bytes() == good


def test_version_missing_in_registry_is_a_clear_error(wired, make_session):
    with pytest.raises(UserError) as err:
        resolve_chart_archive(ChartRef(family="inferencepool", version="v1.9.0"), make_session())
    assert not isinstance(err.value, ChartUnavailable)
    assert "v1.9.0 not found" in err.value.message and "v1.5.0" in err.value.hint


def test_offline_without_cache_is_unavailable_not_a_crash(make_session):
    with pytest.raises(ChartUnavailable, match="offline"):
        resolve_chart_archive(parse_ref("inferencepool@v1.4.0"), make_session(offline=True))


def test_registry_down_falls_back_to_values_at_the_git_tag(github, make_session, monkeypatch, dead_url):
    monkeypatch.setenv("GAIE_TUI_GITHUB_RAW", github.url)
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"registry.k8s.io={dead_url}")
    path = "kubernetes-sigs/gateway-api-inference-extension/v1.4.0/config/charts/inferencepool/values.yaml"
    github.raw[path] = "inferenceExtension:\n  replicas: 1\n"
    session = make_session()
    values = resolve_values(parse_ref("inferencepool@v1.4.0"), session)
    assert values.text == github.raw[path]
    assert values.source == f"{github.url}/{path}" and values.digest is None
    assert any("read from its git tag" in n for n in session.notes)


def test_registry_and_git_host_down_is_unavailable(make_session, dead_url, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"registry.k8s.io={dead_url}")
    with pytest.raises(ChartUnavailable) as err:
        resolve_values(parse_ref("inferencepool@v1.4.0"), make_session())
    assert "could not be read either" in err.value.message


def test_values_from_the_archive_carry_its_digest(wired, make_session, chart_artifacts):
    values = resolve_values(parse_ref("inferencepool@v1.1.0"), make_session())
    assert values.digest == digest_of(chart_artifacts[("inferencepool", "v1.1.0")])


def test_missing_helm_is_unavailable(wired, make_session, monkeypatch):
    session = make_session()
    session.helm = "/nonexistent/helm"
    with pytest.raises(ChartUnavailable, match="cannot run helm"):
        resolve_chart_archive(parse_ref("inferencepool@v1.0.1"), session)


def test_knowledge_can_be_cached_by_digest(wired, make_session, clock):
    session = make_session()
    archive = resolve_chart_archive(parse_ref("inferencepool@v1.0.2"), session)
    session.cache.put("chart_schema", archive.digest, {"keys": ["a", "b"]})
    clock.advance(days=1000)
    value, fetched_at = session.cache.get("chart_schema", archive.digest)
    assert value == {"keys": ["a", "b"]} and fetched_at < clock.now


def test_pull_target_applies_mirrors(make_session, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", "ghcr.io=http://10.0.0.5:5000,registry.k8s.io=harbor.corp/k8s")
    s = make_session()
    t = charts.pull_target("oci://ghcr.io/llm-d/charts/llm-d-router-gateway", s)
    assert t.address == "oci://10.0.0.5:5000/llm-d/charts/llm-d-router-gateway" and t.plain_http
    t = charts.pull_target("oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool", s)
    assert t.address == "oci://harbor.corp/k8s/gateway-api-inference-extension/charts/inferencepool"
    assert not t.plain_http
    t = charts.pull_target("oci://quay.io/x/y", s)
    assert t.address == "oci://quay.io/x/y" and not t.plain_http


def test_a_reachable_registry_is_still_tried_after_another_host_failed(registry, make_session, monkeypatch, dead_url):
    from gaie_tui.core.upstream import github
    from gaie_tui.core.upstream.net import NetworkError

    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"registry.k8s.io={registry.url}")
    session = make_session()  # GitHub stays on a dead port
    with pytest.raises(NetworkError):
        github.fetch_releases(session)
    assert session.offline  # suspected: nothing answered yet
    archive = resolve_chart_archive(parse_ref("inferencepool@v1.0.1"), session)
    assert archive.version == "v1.0.1" and not session.offline


def test_a_registry_that_failed_is_not_asked_again(make_session, monkeypatch, dead_url):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"registry.k8s.io={dead_url}")
    session = make_session()
    with pytest.raises(ChartUnavailable, match="helm could not reach"):
        resolve_chart_archive(parse_ref("inferencepool@v1.0.1"), session)
    with pytest.raises(ChartUnavailable, match="could not be reached earlier"):
        resolve_chart_archive(parse_ref("inferencepool@v1.0.2"), session)


def test_pulled_archives_land_in_a_private_cache_whatever_the_umask(wired, make_session):
    """Issue 12 #9: the cache is 0700 folders and 0600 files under umask 022 too."""
    import os
    import stat
    old = os.umask(0o022)
    try:
        session = make_session()
        archive = resolve_chart_archive(parse_ref("inferencepool@v1.4.0"), session)
    finally:
        os.umask(old)
    root = session.cache.root
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, d)).st_mode) == 0o700, d
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode) == 0o600, f
    assert archive.path.is_relative_to(root)
