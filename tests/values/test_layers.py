"""Layered values (`-f base.yaml -f overlay.yaml`): the merge is helm's, proven with the real helm;
every diagnostic names the file and line that set the value; overridden values are said to be."""
from __future__ import annotations

import json
import subprocess
import textwrap

import pytest
from values_testkit import GUIDES, HELM, chart, chart_dirs, layer_files  # noqa: F401

from gaie_tui.core.check.checker import check_layers
from gaie_tui.core.values.layers import coalesce, merge_layers

DEFAULTS = {"a": {"x": 0, "z": 3}, "l": [9], "s": "text", "keep": {"deep": {"k": "v"}}}

# (layers as YAML texts) — each merged by helm and by us, then coalesced over DEFAULTS
SEMANTICS = {
    "maps deep-merged": ["a: {x: 1}\n", "a: {w: 2}\n"],
    "later file wins": ["a: {x: 1}\ns: one\n", "a: {x: 2}\ns: two\n"],
    "lists replaced whole": ["l: [1, 2]\n", "l: [3]\n"],
    "null deletes a chart default": ["a: {x: null}\n"],
    "null deletes an earlier file and the default": ["a: {x: 5}\n", "a: {x: null}\n"],
    "map over an earlier scalar": ["s: 1\n", "s: {k: v}\n"],
    "scalar over an earlier map": ["a: {x: 1}\n", "a: 7\n"],
    "map after null": ["a: null\n", "a: {x: 9}\n"],
    "empty map merges into the default": ["keep: {}\n"],
    "null for a key the chart does not have": ["q: null\n"],
    "three layers": ["a: {x: 1, w: 1}\n", "a: {w: 2}\nl: []\n", "a: {z: null}\nkeep: {deep: {k: w}}\n"],
}


@pytest.fixture(scope="module")
def dump_chart(tmp_path_factory):
    """A chart whose only template prints `.Values` as helm coalesced them."""
    d = tmp_path_factory.mktemp("dump") / "dump"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: dump\nversion: 0.1.0\n")
    (d / "values.yaml").write_text(json.dumps(DEFAULTS))
    (d / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n  values: {{ toJson .Values | quote }}\n")
    return d


def helm_values(chart_dir, tmp_path, texts: list[str]) -> dict:
    argv = [str(HELM), "template", "x", str(chart_dir)]
    for i, t in enumerate(texts):
        f = tmp_path / f"layer{i}.yaml"
        f.write_text(t)
        argv += ["-f", str(f)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    import yaml
    doc = yaml.safe_load(out.split("---", 1)[1])
    return json.loads(doc["data"]["values"])


@pytest.mark.parametrize("case", list(SEMANTICS))
def test_merge_then_coalesce_equals_what_helm_gives_the_templates(case, dump_chart, tmp_path):
    texts = SEMANTICS[case]
    ours = coalesce(merge_layers([(f"l{i}.yaml", t) for i, t in enumerate(texts)]).values, DEFAULTS)
    assert ours == helm_values(dump_chart, tmp_path, texts)


def test_provenance_and_overrides_name_file_and_line():
    base = "inferenceExtension:\n  replicas: 2\n  flags:\n    v: 4\n    x: 1\ninferencePool:\n  modelServers:\n" \
           "    matchLabels: {app: a}\n"
    over = "# overlay\ninferenceExtension:\n  flags:\n    v: 1\n  replicas: 2\n"
    lay = merge_layers([("base.yaml", base), ("over.yaml", over)])
    assert lay.values["inferenceExtension"] == {"replicas": 2, "flags": {"v": 1, "x": 1}}
    assert lay.source.locate(("inferenceExtension", "flags", "v")) == ("over.yaml", 4, 5)
    assert lay.source.locate(("inferenceExtension", "flags", "x")) == ("base.yaml", 5, 5)
    notes = {(d.file, d.line, d.path): d.message for d in lay.override_diagnostics()}
    assert set(notes) == {("base.yaml", 4, "inferenceExtension.flags.v"), ("base.yaml", 2, "inferenceExtension.replicas")}
    assert "overridden by over.yaml:4" in notes[("base.yaml", 4, "inferenceExtension.flags.v")]
    assert "with the same value" in notes[("base.yaml", 2, "inferenceExtension.replicas")]


def test_null_in_a_later_layer_is_reported_as_deleting():
    lay = merge_layers([("a.yaml", "inferenceExtension:\n  flags:\n    v: 4\n"),
                        ("b.yaml", "inferenceExtension:\n  flags: null\n")])
    (d,) = lay.override_diagnostics()
    assert (d.file, d.line, d.path) == ("a.yaml", 2, "inferenceExtension.flags")  # the block it deletes
    assert "deleted (set to null) by b.yaml:2" in d.message


def test_diagnostics_carry_the_layer_that_set_the_value():
    base = "inferenceExtension:\n  replicas: 1\n  flagz: {v: 1}\ninferencePool:\n  modelServers:\n" \
           "    matchLabels: {app: a}\n"
    over = "inferencePool:\n  targetPorts: 8000\nprovider:\n  name: Istio\n"
    diags = check_layers([("base.yaml", base), ("over.yaml", over)], chart("inferencepool-v1.5.0"))
    got = {(d.file, d.line, d.code) for d in diags if d.severity == "error"}
    assert got == {("base.yaml", 3, "unknown-key"), ("over.yaml", 2, "wrong-type"), ("over.yaml", 4, "provider-case")}
    fix = next(d.fix for d in diags if d.code == "provider-case")
    assert fix.file == "over.yaml" and fix.apply(over).endswith("name: istio\n")


def test_a_broken_layer_stops_with_its_own_file_named():
    diags = check_layers([("ok.yaml", "a: 1\n"), ("bad.yaml", "a: [1\n")], chart("inferencepool-v1.5.0"))
    assert [(d.file, d.code) for d in diags] == [("bad.yaml", "yaml-syntax")]


# ----------------------------------------------------------------------------------------------
# llm-d's own layering: recipes/*/base.values.yaml + features + a guide, as its READMEs run them
SCHED = "recipes/scheduler/base.values.yaml"
SMON = "recipes/scheduler/features/monitoring.values.yaml"
ROUTER = "recipes/router/base.values.yaml"
RMON = "recipes/router/features/monitoring.values.yaml"
RTRACE = "recipes/router/features/tracing.values.yaml"
PROXY_OFF = "router.proxy.enabled"

LLMD = [
    ("inferencepool-v1.5.0", [SCHED, SMON, "optimized-baseline/scheduler/optimized-baseline.values.yaml"], {
        # the base sets both image layouts (hub/name for v1.4, registry/repository for v1.5): an info note
        (SCHED, 8, "ignored-image-key", "info"), (SCHED, 9, "ignored-image-key", "info"),
        (SCHED, 20, "overridden", "info"),
        # the Envoy sidecar settings while the sidecar is off: the finding names the switch
        (SCHED, 51, "no-effect", "warning"), (SCHED, 65, "no-effect", "warning")}),
    ("inferencepool-v1.5.0", [SCHED, SMON, "precise-prefix-cache-aware/scheduler/precise-prefix-cache-aware.values.yaml"], {
        (SCHED, 5, "overridden", "info"), (SCHED, 8, "overridden", "info"), (SCHED, 9, "overridden", "info"),
        (SCHED, 13, "overridden", "info"), (SCHED, 20, "overridden", "info"),
        (SCHED, 51, "no-effect", "warning"), (SCHED, 65, "no-effect", "warning"),
        ("precise-prefix-cache-aware/scheduler/precise-prefix-cache-aware.values.yaml", 10, "ignored-image-key", "info"),
        ("precise-prefix-cache-aware/scheduler/precise-prefix-cache-aware.values.yaml", 11, "ignored-image-key", "info")}),
    ("llm-d-router-gateway-v0.10.0", [ROUTER, RMON, "optimized-baseline/router/optimized-baseline.values.yaml"], {
        (ROUTER, 9, "overridden", "info"),
        # router.proxy.* while the proxy is off; the settings equal to the chart's defaults are not worth one
        (ROUTER, 30, "no-effect", "warning"), (ROUTER, 46, "no-effect", "warning"),
        (ROUTER, 47, "no-effect", "warning"), (ROUTER, 49, "no-effect", "warning")}),
    ("llm-d-router-gateway-v0.9.0", [ROUTER, RTRACE], {
        # no guide file: nothing sets the pool's selector, so the set does not render
        (ROUTER, 20, "missing-required", "error"), (ROUTER, 20, "deep-skipped", "info"),
        (ROUTER, 52, "overridden", "info"), (ROUTER, 54, "overridden", "info"), (ROUTER, 55, "overridden", "info")}),
]
_NOTES = ("overridden", "deep-skipped", "ignored-image-key")


@pytest.mark.parametrize("cid,files,expected", LLMD, ids=[f"{c}:{f[-1].split('/')[-1]}" for c, f, _ in LLMD])
def test_llmd_layered_sets(cid, files, expected):
    if not all((GUIDES / f).is_file() for f in files):
        pytest.skip("llm-d's files are not in this copy of ../shared")
    diags = check_layers(layer_files(*files), chart(cid), deep=True, helm=str(HELM))
    got = {(d.file, d.line, d.code, d.severity) for d in diags if d.severity != "info" or d.code in _NOTES}
    assert got == expected
    for d in diags:
        if d.code == "no-effect":
            switch = "inferenceExtension.sidecar.enabled" if "sidecar" in d.path else PROXY_OFF
            assert f"while `{switch}` is false" in d.message and f"`{switch}: true`" in d.hint
        if d.code == "overridden":
            later = files[files.index(d.file) + 1:]
            assert any(f"by {f}:" in d.message for f in later)


@pytest.mark.parametrize("cid,files", [(c, f) for c, f, _ in LLMD], ids=[f"{c}:{f[-1].split('/')[-1]}" for c, f, _ in LLMD])
def test_llmd_merge_renders_like_helm_with_the_same_files(cid, files, tmp_path):
    """`helm template -f a -f b -f c` and a render of our merged values give the same manifests."""
    ch = chart(cid)
    argv = [str(HELM), "template", "gaie-tui-check", str(ch.archive), "--namespace", "gaie-tui-check"]
    for f in files:
        argv += ["-f", str(GUIDES / f)]
    theirs = subprocess.run(argv, capture_output=True, text=True)
    merged = merge_layers(layer_files(*files)).values
    from gaie_tui.core.check.deep import chart_dir
    from gaie_tui.core.check.render import BatchRenderer, _documents, _normalize
    ours = BatchRenderer(ch, str(HELM), tmp_path, folder=chart_dir(ch.archive)).render(merged)
    assert theirs.returncode == 0 if ours.ok else theirs.returncode != 0
    if ours.ok:
        assert _normalize(_documents(theirs.stdout)) == ours.manifests


def test_overlay_alone_says_the_analysis_was_skipped_and_suggests_layers(capsys, monkeypatch):
    from gaie_tui.cli import main
    monkeypatch.chdir(GUIDES)
    rc = main(["validate", "--deep", SMON, "--chart", "inferencepool@v1.5.0"])
    out = capsys.readouterr().out
    assert rc == 1
    line = next(ln for ln in out.splitlines() if "[deep-skipped]" in ln)
    assert "do not render on their own" in line and "matchLabels" in line
    hint = out.splitlines()[out.splitlines().index(line) + 1]
    assert f"layered on {SCHED}" in hint and f"-f {SCHED} -f {SMON}" in hint


def test_validate_cli_layers_text_and_json(tmp_path, capsys):
    from gaie_tui.cli import main
    a, b = tmp_path / "base.yaml", tmp_path / "over.yaml"
    a.write_text("inferencePool:\n  modelServers:\n    matchLabels: {app: x}\ninferenceExtension:\n  replicaz: 1\n")
    b.write_text(textwrap.dedent("""\
        inferenceExtension:
          flags:
            v: 1
        """))
    rc = main(["validate", "-f", str(a), "-f", str(b), "--chart", "inferencepool@v1.5.0"])
    out = capsys.readouterr().out
    assert rc == 1 and f"{a}:5:3: error[unknown-key]" in out
    assert out.splitlines()[-1].startswith(f"{a} + {b}: inferencepool v1.5.0: 1 error")
    rc = main(["validate", "-f", str(a), "-f", str(b), "--chart", "inferencepool@v1.5.0", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == [str(a), str(b)]
    assert [(d["file"], d["line"], d["code"]) for d in doc["diagnostics"] if d["severity"] == "error"] == \
        [(str(a), 5, "unknown-key")]
    rc = main(["validate", str(a), "-f", str(b)])
    assert rc == 2 and "not both" in capsys.readouterr().err
