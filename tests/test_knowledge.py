"""Chart knowledge derived from every released archive, and the bundled copy of it."""
from __future__ import annotations

import io
import json
import tarfile

import pytest
from support import ALL_CHARTS, CHART_IDS

from gaie_tui.core.charts.derive import load_chart
from gaie_tui.core.charts.layouts import classify, expected_layout_id, layout_for
from gaie_tui.core.charts.refs import FAMILIES, ChartRef, parse_ref
from gaie_tui.core.charts.schema import KeyTree
from gaie_tui.core.charts.store import KnowledgeStore, bundled_dir, load_bundled
from gaie_tui.core.errors import UserError


def test_all_twelve_released_archives_are_present(shared_dir):
    names = {p.name for p in ALL_CHARTS}
    for fam in FAMILIES.values():
        for v in fam.released:
            assert f"{fam.name}-{v}.tgz" in names


@pytest.mark.parametrize("archive", ALL_CHARTS, ids=CHART_IDS)
def test_bundled_knowledge_equals_fresh_derivation(shared_dir, archive):
    fresh = load_chart(archive)
    bundled = json.loads((bundled_dir() / f"{fresh.name}-{fresh.version}.json").read_text())
    assert bundled == fresh.to_json(comments=False), "run scripts/bundle-knowledge"


@pytest.mark.parametrize("archive", ALL_CHARTS, ids=CHART_IDS)
def test_archive_matches_the_layout_of_its_version_range(shared_dir, archive):
    k = load_chart(archive)
    assert classify(k) == expected_layout_id(k.name, k.version)
    match = layout_for(k.name, k.version, k)
    assert match.known_range and not match.note


@pytest.mark.parametrize("archive", ALL_CHARTS, ids=CHART_IDS)
def test_keys_the_templates_honour_without_listing_them_are_known(shared_dir, archive):
    k = load_chart(archive)
    tree = KeyTree(k)
    lay = layout_for(k.name, k.version, k).layout
    # matchLabels is commented out in values.yaml: only the templates know it, and it is required
    node = tree.find(lay.match_labels)
    assert node is not None and node.read and node.open
    assert tree.find(f"{lay.epp}.pluginsCustomConfig") is not None
    if lay.istio:
        assert tree.find(f"{lay.istio}.destinationRule.host").read
        pool = tree.find(f"{lay.istio}.destinationRule.trafficPolicy.connectionPool")
        assert pool.read and pool.open
        # every other trafficPolicy field is dropped by the chart: the tree must not know them
        assert tree.find(f"{lay.istio}.destinationRule.trafficPolicy.loadBalancer") is None
    schema = tree.json_schema()
    top = schema["required"]
    assert lay.match_labels.split(".")[0] in top


def test_library_subchart_defaults_merge_under_their_alias(shared_dir):
    k = load_chart(shared_dir / "charts" / "inferencepool-v1.4.0.tgz")
    ie = k.defaults["inferenceExtension"]
    assert ie["latencyPredictor"]["trainingServer"]["port"] == 8000  # from the library's values.yaml
    assert ie["image"]["tag"] == "v1.4.0"  # the parent's own value wins
    r = load_chart(shared_dir / "charts" / "llm-d-router-gateway-v0.10.0.tgz")
    assert r.defaults["router"]["epp"]["image"]["tag"] == "v0.10.0"  # parent overrides library `main`
    assert r.defaults["router"]["epp"]["resources"]["requests"]["cpu"] == "8"
    assert set(r.forbidden) == {"inferenceExtension", "inferencePool", "experimentalHttpRoute", "inferenceObjectives"}


def test_version_specific_facts_come_from_the_archives(shared_dir):
    def tree(v):
        return KeyTree(load_chart(shared_dir / "charts" / f"inferencepool-{v}.tgz"))
    assert tree("v1.3.1").find("inferenceExtension.resources") is None
    assert tree("v1.4.0").find("inferenceExtension.resources").read
    assert tree("v1.5.0").find("inferenceExtension.image.hub") is None
    assert tree("v1.5.0").find("inferenceExtension.image.registry").read
    assert not tree("v1.5.0").find("inferencePool.apiVersion").read  # listed, read by no template
    assert tree("v1.4.0").find("inferencePool.apiVersion").read
    assert tree("v1.1.0").find("provider.istio") is None and tree("v1.1.0").find("istio.destinationRule")
    assert tree("v1.0.0").find("istio") is None


def test_chart_comments_become_field_documentation(shared_dir):
    k = load_chart(shared_dir / "charts" / "inferencepool-v1.4.0.tgz")
    tree = KeyTree(k)
    assert "verbosity" in tree.find("inferenceExtension.flags.v").doc.lower()


def _retagged(archive, new_version: str) -> bytes:
    """The same chart re-tagged by a mirror: only Chart.yaml's version changes."""
    src = tarfile.open(archive)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name.endswith("/Chart.yaml") and m.name.count("/") == 1:
                data = data.replace(b"version: v1.5.0", f"version: {new_version}".encode())
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def test_unknown_newer_version_is_derived_from_its_archive_and_says_so(shared_dir, tmp_path):
    path = tmp_path / "inferencepool-v1.5.7.tgz"
    path.write_bytes(_retagged(shared_dir / "charts" / "inferencepool-v1.5.0.tgz", "v1.5.7"))
    chart = KnowledgeStore().get(ChartRef(path=path))
    assert chart.version == "v1.5.7"
    assert chart.layout.layout.id == "C" and not chart.layout.known_range
    assert "matches layout C" in chart.layout.note


def test_chart_dirs_env_finds_archives_for_references(shared_dir, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(shared_dir / "charts"))
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.2.1"))
    assert chart.archive is not None and chart.archive.name == "inferencepool-v1.2.1.tgz"


def test_bundled_knowledge_works_without_any_archive(monkeypatch):
    monkeypatch.delenv("GAIE_TUI_CHART_DIRS", raising=False)
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.3.0"))
    assert chart.source == "bundled" and chart.archive is None
    assert chart.tree.find("inferencePool.modelServers.matchLabels") is not None


def test_unknown_version_without_archive_says_what_to_do(monkeypatch):
    monkeypatch.delenv("GAIE_TUI_CHART_DIRS", raising=False)
    with pytest.raises(UserError) as err:
        KnowledgeStore().get(parse_ref("inferencepool@v9.9.9"))
    assert "--chart" in err.value.hint


def test_archive_version_mismatch_is_refused(shared_dir, monkeypatch, tmp_path):
    # helm would ignore --version for a local archive; we refuse to claim a version we do not deploy
    wrong = tmp_path / "inferencepool-v1.3.0.tgz"
    wrong.write_bytes((shared_dir / "charts" / "inferencepool-v1.2.0.tgz").read_bytes())
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(tmp_path))
    with pytest.raises(UserError, match="is inferencepool v1.2.0, not v1.3.0"):
        KnowledgeStore().get(parse_ref("inferencepool@v1.3.0"))


@pytest.mark.parametrize("blob,needle", [
    (b"not a tarball at all", "not a readable chart archive"),
    (b"\x1f\x8b\x08\x00garbage", "not a readable chart archive"),
])
def test_corrupt_archive_is_refused_clearly(tmp_path, blob, needle):
    p = tmp_path / "broken.tgz"
    p.write_bytes(blob)
    with pytest.raises(UserError, match=needle):
        load_chart(p)


def test_archive_without_chart_yaml_is_refused(tmp_path):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        data = b"hello"
        info = tarfile.TarInfo("x/readme.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    p = tmp_path / "x.tgz"
    p.write_bytes(out.getvalue())
    with pytest.raises(UserError, match="no Chart.yaml"):
        load_chart(p)


def test_bundled_data_has_no_chart_prose():
    for path in bundled_dir().glob("*.json"):
        assert json.loads(path.read_text())["comments"] == {}
    assert load_bundled("inferencepool", "v1.4.0") is not None


@pytest.mark.parametrize("name", ["inferencepool-v1.4.0", "llm-d-router-gateway-v0.10.0"])
def test_chart_folder_gives_the_same_knowledge_as_its_archive(shared_dir, tmp_path, name):
    archive = shared_dir / "charts" / f"{name}.tgz"
    with tarfile.open(archive) as tf:
        tf.extractall(tmp_path, filter="data")
    folder = next(p for p in tmp_path.iterdir() if (p / "Chart.yaml").exists())
    assert load_chart(folder).to_json() == load_chart(archive).to_json()
    chart = KnowledgeStore().get(parse_ref(str(folder)))
    assert chart.archive == folder
