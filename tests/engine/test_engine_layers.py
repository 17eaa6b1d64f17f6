"""Layered values through the plan, the engine and the record: llm-d's recipe sets (a base, a
feature overlay, a guide) deployed on the emulator with the real helm, one `-f` per layer in order,
verified; the record keeps every layer and the merged result; helm's stored values are the merge."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from enginehelp import READY_DELAY, chart_for, green
from support import SHARED

from gaie_tui.core.deploy.engine import DeployEngine
from gaie_tui.core.deploy.plan import ValuesLayer, make_plan
from gaie_tui.core.session import Session
from gaie_tui.core.values.layers import merge_layers
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.scenarios import Seed

GUIDES = SHARED / "upstream" / "llm-d" / "history" / "guides"
GUIDE_LABEL = {"llm-d.ai/guide": "optimized-baseline"}

# llm-d's own layering (its READMEs: helm install -f base -f feature -f guide), for each chart family
SETS = {
    "inferencepool-v1.5.0": ("inferencepool@v1.5.0", [
        "recipes/scheduler/base.values.yaml", "recipes/scheduler/features/monitoring.values.yaml",
        "optimized-baseline/scheduler/optimized-baseline.values.yaml"]),
    "llm-d-router-gateway-v0.10.0": ("llm-d-router-gateway@v0.10.0", [
        "recipes/router/base.values.yaml", "recipes/router/features/monitoring.values.yaml",
        "optimized-baseline/router/optimized-baseline.values.yaml"]),
}


def layers_of(files: list[str]) -> list[ValuesLayer]:
    if not all((GUIDES / f).is_file() for f in files):
        pytest.skip("llm-d's values files are not in this copy of ../shared")
    return [ValuesLayer(f, (GUIDES / f).read_text(encoding="utf-8")) for f in files]


def seed_guide_model_servers(sc) -> None:
    """The guide selects its own model servers (`llm-d.ai/guide: optimized-baseline`): give the
    cluster two, and wait until they are Ready so preflight sees them as a user's cluster would."""
    import time

    from gaie_tui.core.cluster.kube import Cluster
    Seed(sc.server.store).model_servers("llm-d", "vllm-guide", GUIDE_LABEL)
    cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
    try:
        deadline = time.monotonic() + 30
        while True:
            pods = (cluster.get("/api/v1/namespaces/llm-d/pods?labelSelector=llm-d.ai%2Fguide%3Doptimized-baseline",
                                what="list pods") or {}).get("items") or []
            ready = [p for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                            for c in (p.get("status") or {}).get("conditions") or [])]
            if len(ready) == 2:
                return
            assert time.monotonic() < deadline, "the seeded model servers never became Ready"
            time.sleep(0.05)
    finally:
        cluster.close()


def helm_json(helm: str, *args: str) -> dict:
    out = subprocess.run([helm, *args, "-o", "json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def template(helm: str, chart, files: list[Path]) -> str:
    argv = [helm, "template", "gaie", str(chart.archive), "--namespace", "llm-d"]
    for f in files:
        argv += ["-f", str(f)]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("set_id", list(SETS))
def test_llmd_layer_set_deploys_verified_and_the_record_keeps_every_layer(set_id, tmp_path, helm_bin):
    ref, files = SETS[set_id]
    chart = chart_for(ref)
    layers = layers_of(files)
    with simulated_cluster("llm-d-ready-prometheus", ready_delay=READY_DELAY) as sc:
        seed_guide_model_servers(sc)
        # the wizard's way: a session's plan of layers, its engine, a phase at a time with approval
        session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context, record_dir=tmp_path / "records")
        session.connect(sc.context)
        session.wait_timeout, session.verify_wait, session.observe_interval = "30s", 15.0, 0.3
        try:
            plan = session.plan(chart, layers, release="gaie", namespace="llm-d")
            engine = session.engine(plan, chart)
            assert engine.run(until="approve").status == "awaiting-approval"
            assert not (tmp_path / "records").exists()
            engine.approve("in the wizard")
            out = engine.run()
            kube = ["--kubeconfig", str(sc.kubeconfig), "--kube-context", sc.context]
            stored = helm_json(helm_bin, "get", "values", "gaie", "-n", "llm-d", *kube)
            # Review's upgrade diff of the same layers against what was just deployed: nothing changes
            from gaie_tui.core.deploy import actions
            diff = actions.upgrade_diff(plan)
            assert diff.values.empty and diff.manifest.empty, (diff.values.to_dict(), diff.manifest.lines[:20])
        finally:
            session.close()
        assert not sc.server.errors, sc.server.errors
    assert out.status == "verified", (out.explanation, green(out.preflight), green(out.verification))
    assert not green(out.preflight, ("values",)) and not green(out.verification)
    values = next(c for c in out.preflight if c.id == "values")
    assert values.looked_at.startswith(" + ".join(files) + " against ")

    rec = out.record_dir
    assert {p.name for p in rec.iterdir()} == {"values-1.yaml", "values-2.yaml", "values-3.yaml",
                                               "values-merged.yaml", "record.md", "record.json", "helm.log"}
    for i, layer in enumerate(layers, 1):
        assert (rec / f"values-{i}.yaml").read_text() == layer.text
    data = json.loads((rec / "record.json").read_text())
    assert data["values"] == [{"name": f, "file": f"values-{i}.yaml"} for i, f in enumerate(files, 1)]
    assert data["values_merged"] == {"file": "values-merged.yaml", "from": files}
    # helm ran with one -f per layer, in the user's order, reading the record's own copies
    cmd = data["helm_command"]
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-f"] == [str(rec / f"values-{i}.yaml") for i in (1, 2, 3)]
    assert "values-merged.yaml" not in " ".join(cmd)
    # the merged file is what helm merged from the layers: as stored in the release, as computed
    # independently from llm-d's files, and rendering the same manifests as the three layers
    merged = yaml.safe_load((rec / "values-merged.yaml").read_text())
    assert merged == stored == merge_layers([(f, (GUIDES / f).read_text()) for f in files]).values
    assert (rec / "values-merged.yaml").read_text().startswith(f"# gaie-tui: chart={ref}\n")
    assert template(helm_bin, chart, [rec / "values-merged.yaml"]) == \
        template(helm_bin, chart, [rec / f"values-{i}.yaml" for i in (1, 2, 3)])
    # which file set what: the guide's selector, the feature's monitoring switch
    by_path = {r["path"]: (r["file"], r["line"]) for r in data["values_set_by"]}
    prefix = "router" if "router" in set_id else "inferencePool"
    selector = (f"{prefix}.modelServers.matchLabels[\"llm-d.ai/guide\"]")
    assert by_path[selector][0] == files[2]
    assert (GUIDES / files[2]).read_text().splitlines()[by_path[selector][1] - 1].strip().startswith("llm-d.ai/guide:")
    monitoring = ("router" if "router" in set_id else "inferenceExtension") + ".monitoring.prometheus.enabled"
    assert by_path[monitoring][0] == files[1]
    md = (rec / "record.md").read_text()
    assert "helm read 3 files, one `-f` each in this order" in md
    for i, f in enumerate(files, 1):
        assert f"{i}. `values-{i}.yaml` from {f}" in md
    assert f"| `{selector}` | {files[2]}:{by_path[selector][1]} |" in md
    assert data["approved_by"] == "in the wizard"


def test_layered_deploy_from_the_command_line(tmp_path, capsys, helm_bin, monkeypatch):
    """`gaie-tui deploy -f … -f …`: the chart from the first header among the layers, the layers
    handed to helm in order (a wrapper around the real helm logs what it was given)."""
    from gaie_tui.cli import main
    files = SETS["llm-d-router-gateway-v0.10.0"][1]
    layers = layers_of(files)
    paths = []
    for i, layer in enumerate(layers):
        p = tmp_path / Path(layer.name).name
        # the header sits in the second file only: the first header among the layers names the chart
        p.write_text(("# gaie-tui: chart=llm-d-router-gateway@v0.10.0\n" if i == 1 else "") + layer.text)
        paths.append(str(p))
    log = tmp_path / "helm-calls.jsonl"
    wrapper = tmp_path / "helm"
    wrapper.write_text(f"""#!{sys.executable}
import json, os, sys
argv = sys.argv[1:]
files = [argv[i + 1] for i, a in enumerate(argv) if a == "-f"]
with open({str(log)!r}, "a") as fh:
    fh.write(json.dumps({{"argv": argv, "files": [open(f).read() if f != "-" else None for f in files]}}) + "\\n")
os.execv({helm_bin!r}, [{helm_bin!r}, *argv])
""")
    wrapper.chmod(0o755)
    with simulated_cluster("llm-d-ready-prometheus", ready_delay=READY_DELAY) as sc:
        seed_guide_model_servers(sc)
        monkeypatch.setenv("GAIE_TUI_HELM", str(wrapper))
        args = [x for p in paths for x in ("-f", p)] + ["--release", "gaie", "--namespace", "llm-d",
                                                         "--kubeconfig", str(sc.kubeconfig), "--context", sc.context]
        assert main(["preflight", *args, "--format", "json"]) == 0
        pre = json.loads(capsys.readouterr().out)
        assert pre["chart"]["name"] == "llm-d-router-gateway" and pre["values"] == paths
        rc = main(["deploy", *args, "--yes", "--record-dir", str(tmp_path / "rec"), "--timeout", "30s",
                   "--verify-wait", "15"])
        text = capsys.readouterr().out
    assert rc == 0, text
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    texts = [Path(p).read_text() for p in paths]
    renders = [c for c in calls if c["argv"][0] == "template"]
    installs = [c for c in calls if c["argv"][:2] == ["upgrade", "--install"]]
    # preflight's render, deploy's render and helm upgrade --install: every layer, in order, never merged
    assert len(renders) == 2 and len(installs) == 1
    for call in renders + installs:
        assert call["files"] == texts
    rec = next((tmp_path / "rec").iterdir())
    assert [a for a in installs[0]["argv"] if a.startswith(str(rec))] == [str(rec / f"values-{i}.yaml") for i in (1, 2, 3)]
    assert "[deploy] helm upgrade --install gaie" in text and "values-3.yaml" in text


def test_a_layered_render_failure_names_the_file_and_line_that_explain_it(tmp_path):
    """llm-d's router base + tracing alone set no model-server selector: helm cannot render them;
    the values check beside the render failure names the file and line where the selector belongs."""
    chart = chart_for("llm-d-router-gateway@v0.9.0")
    files = ["recipes/router/base.values.yaml", "recipes/router/features/tracing.values.yaml"]
    plan = make_plan(chart, layers_of(files), release="gaie", namespace="llm-d", kubeconfig=str(tmp_path / "none"))
    out = DeployEngine(plan, chart=chart, record_parent=tmp_path / "records").run(until="preflight")
    assert out.status == "preflight-failed" and not (tmp_path / "records").exists()
    checks = {c.id: c for c in out.preflight}
    assert list(checks) == ["render", "values"] and checks["render"].status == "fail"
    values = checks["values"]
    assert values.status == "fail"
    assert values.details[0].startswith(f"error {files[0]}:20: router.modelServers")
    assert "-f recipes/router/base.values.yaml -f recipes/router/features/tracing.values.yaml" in values.remedy


def test_one_layer_plans_are_unchanged_and_a_broken_layer_is_named(tmp_path):
    chart = chart_for("inferencepool@v1.5.0")
    text = "inferencePool:\n  modelServers:\n    matchLabels: {app: x}\n"
    one = make_plan(chart, text, release="gaie", namespace="llm-d")
    assert not one.layered and one.values_text == text and one.merged_file_name() is None
    assert one.to_dict()["values_merged"] is None and one.set_by() == []
    from gaie_tui.core.errors import UserError
    with pytest.raises(UserError) as err:
        make_plan(chart, [ValuesLayer("base.yaml", text), ValuesLayer("over.yaml", "a:\n  b: [1\n")],
                  release="gaie", namespace="llm-d")
    assert str(err.value).startswith("over.yaml:3:1: ") and "-f base.yaml -f over.yaml" in err.value.hint


# ---- the merged file means to helm what the layers mean ------------------------------------------
DEFAULTS = "keep: {a: 1, b: 2}\nlist: [1, 2, 3]\ntext: default\n"
TRICKY = [
    # plain and quoted forms PyYAML and helm read differently; null deleting a default; a block
    "plainY: y\nquotedY: \"y\"\nplainExp: 1e3\nquotedExp: '1e3'\noct: 0o17\nkeep: {a: 5}\nlist: [9]\n"
    "items: [y, \"n\", 1e3, '2e3', plain]\nblock: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "# gaie-tui: zmq=off\nkeep: {b: null}\ntext: null\nanchor: &x {k: v}\nmerged: {<<: *x, extra: 1}\n"
    "quoted: {\"on\": \"off\", 'key with: colon': \"#not a comment\"}\n",
]


@pytest.fixture()
def dump_chart(tmp_path):
    """A chart whose only template prints `.Values` as helm coalesced them."""
    d = tmp_path / "dump"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: dump\nversion: 0.1.0\n")
    (d / "values.yaml").write_text(DEFAULTS)
    (d / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\ndata:\n  values: {{ toJson .Values | quote }}\n")
    return d


def test_the_merged_file_renders_like_the_layers_even_where_yaml_readers_disagree(dump_chart, tmp_path, helm_bin):
    from gaie_tui.core.values.merged import merged_text
    layered = merge_layers([(f"l{i}.yaml", t) for i, t in enumerate(TRICKY)])
    text = merged_text(layered, chart_ref="dump@0.1.0")
    assert text.startswith("# gaie-tui: chart=dump@0.1.0\n# gaie-tui: zmq=off\n")
    files = []
    for i, t in enumerate(TRICKY):
        files.append(tmp_path / f"l{i}.yaml")
        files[-1].write_text(t)
    (tmp_path / "merged.yaml").write_text(text)

    def values(paths):
        argv = [helm_bin, "template", "x", str(dump_chart)] + [a for p in paths for a in ("-f", str(p))]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        return json.loads(yaml.safe_load(out.split("---", 1)[1])["data"]["values"])

    theirs = values(files)
    assert values([tmp_path / "merged.yaml"]) == theirs
    # what this proves: helm reads the plain forms as non-strings, the quoted ones as strings
    assert theirs["plainY"] is True and theirs["quotedY"] == "y" and theirs["plainExp"] == 1000
    assert theirs["quotedExp"] == "1e3" and theirs["keep"] == {"a": 5} and "text" not in theirs
    assert theirs["items"] == [True, "n", 1000, "2e3", "plain"] and theirs["block"] == "line one\nline two\n"


def test_a_token_in_a_layer_reaches_no_record_file(tmp_path):
    """Every layer and the merged result are redacted in the record (the checker refuses the token,
    so the run stops at preflight — with --yes the record exists from the first step)."""
    token = "hf_" + "Ab1" * 12
    chart = chart_for("inferencepool@v1.5.0")
    base = "inferencePool:\n  modelServers:\n    matchLabels: {app: x}\n"
    overlay = f"inferenceExtension:\n  env:\n  - name: HF_TOKEN\n    value: {token}\n"
    plan = make_plan(chart, [ValuesLayer("base.yaml", base), ValuesLayer("secret.yaml", overlay)],
                     release="gaie", namespace="llm-d", kubeconfig=str(tmp_path / "none"))
    assert token in plan.values_text          # the plan holds what helm would get …
    out = DeployEngine(plan, chart=chart, record_parent=tmp_path / "records", approved_by="--yes").run()
    assert out.status == "preflight-failed"
    values = next(c for c in out.preflight if c.id == "values")
    assert values.status == "fail" and any(d.startswith("error secret.yaml:4: ") for d in values.details)
    files = {p.name: p.read_text() for p in out.record_dir.iterdir()}   # … the record never does
    assert {"values-1.yaml", "values-2.yaml", "values-merged.yaml"} <= set(files)
    assert not [name for name, text in files.items() if token in text]
    assert "HF_TOKEN" in files["values-merged.yaml"] and files["values-1.yaml"] == base


def test_a_crashed_layered_values_check_is_a_failure_never_a_pass(monkeypatch):
    import gaie_tui.core.check.checker as checker
    from gaie_tui.core.cluster.preflight import values_check
    monkeypatch.setattr(checker, "check_layered", lambda *a, **kw: 1 / 0)
    c = values_check([("a.yaml", "x: 1\n"), ("b.yaml", "y: 2\n")], chart_for("inferencepool@v1.5.0"))
    assert c.status == "fail" and c.title == "Values files (2 layers)"
    assert c.evidence == "could not check the values: division by zero" and "-f a.yaml -f b.yaml" in c.remedy
