"""`gaie-tui migrate`: every released inferencepool version × provider migrated to every later
version and to llm-d-router-gateway v0.10.0, proven with the real helm (nothing lost); llm-d's
guide files of each era with exactly the losses they have; the migrated files pass
`validate --deep`; comments and key order survive."""
from __future__ import annotations

import json
import sys
from collections import Counter

import pytest
from support import ROOT

sys.path.insert(0, str(ROOT / "tests" / "values"))
from values_testkit import GUIDES, HELM, PROVIDERS, chart, chart_dirs, generated  # noqa: E402, F401

from gaie_tui.core.charts import layouts  # noqa: E402
from gaie_tui.core.charts.refs import FAMILIES  # noqa: E402
from gaie_tui.core.migrate import LOST, migrate, prove_many  # noqa: E402
from gaie_tui.core.values import source as yamlsource  # noqa: E402

IP = FAMILIES["inferencepool"].released
ROUTER = "llm-d-router-gateway-v0.10.0"
MATRIX = [(f"inferencepool-{s}", p, d) for i, s in enumerate(IP) for p in PROVIDERS
          if not (p == "istio" and not layouts.has_istio("inferencepool", s))
          for d in [f"inferencepool-{x}" for x in IP[i + 1:]] + [ROUTER]]

# one worker proves the whole matrix in a few shared helm runs (renders of one chart are batched)
pytestmark = pytest.mark.xdist_group("migrate")


def comment_texts(text: str) -> Counter:
    return Counter(c.text.strip() for c in yamlsource.comments(text) if "gaie-tui: chart=" not in c.text)


@pytest.fixture(scope="module")
def matrix(shared_dir):
    sources = {}
    results = {}
    for src, provider, dst in MATRIX:
        text = sources.setdefault((src, provider), generated(src, provider, hf_secret="llm-d-hf-token"))
        results[(src, provider, dst)] = migrate([("values.yaml", text)], chart(src), chart(dst), prove_it=False,
                                                today="2026-12-01")
    proofs = prove_many([m.case() for m in results.values()], helm=str(HELM))
    for m, p in zip(results.values(), proofs, strict=True):
        m.proof = p
    return sources, results


@pytest.mark.parametrize("src,provider,dst", MATRIX, ids=[f"{s}-{p}-to-{d}" for s, p, d in MATRIX])
def test_generated_values_migrate_with_nothing_lost(matrix, src, provider, dst):
    sources, results = matrix
    m = results[(src, provider, dst)]
    assert m.proof.error == ""
    assert [(f.thing, f.aspect, f.old, f.new) for f in m.proof.lost] == []
    assert m.ok
    out = m.files[0]
    assert out.dropped == []                               # a generated file has nothing without a place
    assert comment_texts(out.text) >= comment_texts(sources[(src, provider)])
    assert out.text.startswith(f"# gaie-tui: chart={chart(dst).family}@{chart(dst).version}\n")
    equal = [f for f in m.proof.facets if f.verdict == "equal"]
    assert any(f.aspect == "selector" for f in equal) and any(f.aspect == "image" for f in equal)


def deep_sample():
    """Every target × provider, from one source per value layout (A, B, C): the outputs differ only
    by the paired image otherwise."""
    return [(s, p, d) for s, p, d in MATRIX if s in ("inferencepool-v1.0.1", "inferencepool-v1.3.0",
                                                      "inferencepool-v1.4.0") or d == ROUTER and s == "inferencepool-v1.5.0"]


@pytest.mark.parametrize("src,provider,dst", deep_sample(), ids=[f"{s}-{p}-to-{d}" for s, p, d in deep_sample()])
def test_migrated_files_pass_validate_deep(matrix, src, provider, dst):
    from gaie_tui.core.check.checker import check_text
    text = matrix[1][(src, provider, dst)].files[0].text
    diags = check_text(text, chart(dst), deep=True, helm=str(HELM))
    bad = [(d.code, d.path, d.message) for d in diags if d.severity in ("error", "warning")]
    if dst == "inferencepool-v1.1.0":   # the chart's own bug, said once whatever the values
        bad = [b for b in bad if b[0] != "chart-bug-tracing"]
    assert bad == []


def test_layout_a_to_b_moves_flags_and_istio_keeping_comments():
    text = generated("inferencepool-v1.0.1", "istio")
    m = migrate([("values.yaml", text)], chart("inferencepool-v1.0.1"), chart("inferencepool-v1.2.0"),
                helm=str(HELM), today="2026-12-01")
    out = m.files[0].text
    values = yamlsource.parse(out).values
    assert values["inferenceExtension"]["flags"] == {"v": 1}
    assert "istio" not in values and values["provider"]["istio"]["destinationRule"]["host"]
    moved = {(".".join(x.old), ".".join(x.new)) for x in m.files[0].moved}
    assert ("istio", "provider.istio") in moved and ("inferenceExtension.flags", "inferenceExtension.flags") in moved
    assert out.index("# EPP command-line flags") < out.index("  flags:\n    v: 1")   # the comment above its key
    assert m.ok


# --- llm-d's own files of each era: nothing lost, or exactly these losses -----------------------
H = GUIDES.parent
ERAS = [
    (["_history/e52045b/guides/inference-scheduling/gaie-inference-scheduling/values.yaml"], "v1.0.1", set(), set()),
    (["guides/inference-scheduling/gaie-inference-scheduling/values.yaml"], "v1.4.0", set(), set()),
    (["guides/pd-disaggregation/gaie-pd/values.yaml"], "v1.4.0", set(), set()),
    # the v1alpha2 InferencePool is gone: its pool group and FailClose default go with it
    (["guides/wide-ep-lws/inferencepool.values.yaml"], "v1.2.0",
     {("EPP container", "flag --pool-group"), ("InferencePool", "failure mode")},
     {"inferenceExtension.monitoring.gke", "inferencePool.apiVersion", "inferencePool.provider"}),
    # the UDS tokenizer sidecar has no counterpart in the router chart
    (["guides/precise-prefix-cache-aware/gaie-kv-events/values.yaml"], "v1.4.0",
     {("EPP pod", "other containers")}, {"inferenceExtension.sidecar"}),
    # hub/name were already ignored by v1.5.0: the tag now lands on the router chart's default image
    (["guides/wide-ep-lws/manifests/inferencepool.values.yaml"], "v1.5.0", {("EPP container", "image")},
     {"inferenceExtension.image.hub", "inferenceExtension.image.name",
      "provider.istio.destinationRule.trafficPolicy.tls"}),
    (["guides/recipes/scheduler/base.values.yaml", "guides/recipes/scheduler/features/monitoring.values.yaml",
      "guides/optimized-baseline/scheduler/optimized-baseline.values.yaml"], "v1.5.0", set(),
     {"inferenceExtension.image.hub", "inferenceExtension.image.name", "inferenceExtension.sidecar"}),
]


@pytest.mark.parametrize("files,version,lost,dropped", ERAS, ids=[e[0][-1].split("guides/")[-1] for e in ERAS])
def test_llmd_guide_files_to_the_router_chart(files, version, lost, dropped, tmp_path):
    if not all((H / f).is_file() for f in files):
        pytest.skip("llm-d's files are not in this copy of ../shared")
    m = migrate([(f, (H / f).read_text()) for f in files], chart(f"inferencepool-{version}"), chart(ROUTER),
                helm=str(HELM))
    assert m.proof.error == ""
    assert {(f.thing, f.aspect) for f in m.proof.lost} == lost
    assert {".".join(map(str, d.old)) for f in m.files for d in f.dropped} == dropped
    assert m.ok == (not lost)
    for f, (_, old_text) in zip(m.files, [(x, (H / x).read_text()) for x in files], strict=True):
        # what has no place stays, commented out under the reason, and reads back as it was
        old_values = yamlsource.parse(old_text).values
        for d in f.dropped:
            lines = f.text.splitlines()
            at = next(i for i, ln in enumerate(lines) if ln.startswith(f"# {'.'.join(map(str, d.old))} — "))
            block = []
            for ln in lines[at + 1:]:
                if not ln.startswith("#   "):
                    break
                block.append(ln[4:])
            back = yamlsource.parse("\n".join(block) + "\n").values
            want = old_values
            for k in d.old:
                want = want[k]
            assert back == {d.old[-1]: want}
    from gaie_tui.core.check.checker import check_layers
    diags = check_layers([(f.name, f.text) for f in m.files], chart(ROUTER), deep=True, helm=str(HELM))
    assert [d for d in diags if d.severity == "error"] == []


# --- the command ----------------------------------------------------------------------------------
def run(argv, capsys):
    from gaie_tui.cli import main
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_one_file_to_stdout_with_the_report_on_stderr(tmp_path, capsys):
    f = tmp_path / "values.yaml"
    f.write_text(generated("inferencepool-v1.2.0", "istio"))
    rc, out, err = run(["migrate", str(f), "--to", "llm-d-router-gateway@v0.10.0"], capsys)
    assert rc == 0
    assert yamlsource.parse(out).values["router"]["epp"]["flags"] == {"v": 1}
    assert "moved   inferenceExtension.extraServicePorts → router.extraServicePorts" in err
    assert "  = InferencePool selector" in err and "  ~ EPP container resources.requests.cpu" in err
    assert err.rstrip().endswith("0 lost: nothing is lost")


def test_cli_exit_1_and_the_lost_lines_when_something_is_lost(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text("inferenceExtension:\n  sidecar:\n    enabled: true\n    name: side\n    image: x/y:1\n"
                 "    configMap: {name: c, data: {a: b}}\n"
                 "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n")
    rc, out, err = run(["migrate", str(f), "--from", "inferencepool@v1.4.0", "--to", "llm-d-router-gateway@v0.10.0",
                        "-o", str(tmp_path / "out.yaml")], capsys)
    assert rc == 1
    assert "  ✗ EPP pod other containers" in out and "side (x/y:1)" in out
    assert "no equivalent  inferenceExtension.sidecar: the EPP sidecar is not part of llm-d-router-gateway" in out
    written = (tmp_path / "out.yaml").read_text()
    assert "#   sidecar:" in written and "router:" in written


def test_cli_several_files_need_a_folder_and_keep_their_names(tmp_path, capsys):
    a, b = tmp_path / "base.yaml", tmp_path / "overlay.yaml"
    a.write_text("inferenceExtension:\n  replicas: 2\n  flags:\n    v: 1\n")
    b.write_text("inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n")
    rc, _, err = run(["migrate", str(a), str(b), "--from", "inferencepool@v1.5.0",
                      "--to", "llm-d-router-gateway@v0.10.0"], capsys)
    assert rc == 2 and "-o FOLDER" in err
    rc, out, _ = run(["migrate", str(a), str(b), "--from", "inferencepool@v1.5.0",
                      "--to", "llm-d-router-gateway@v0.10.0", "-o", str(tmp_path / "new"), "--format", "json"], capsys)
    doc = json.loads(out)
    assert rc == 0 and doc["ok"] and doc["proof"]["verdict"] == "nothing lost"
    assert [f["output"] for f in doc["files"]] == [str(tmp_path / "new" / "base.yaml"), str(tmp_path / "new" / "overlay.yaml")]
    assert yamlsource.parse((tmp_path / "new" / "overlay.yaml").read_text()).values == \
        {"router": {"modelServers": {"matchLabels": {"app": "vllm"}}}}


@pytest.mark.parametrize("argv,needle", [
    (["--to", "llm-d-router-gateway@v0.10.0"], "does not say which chart"),
    (["--from", "inferencepool@v1.5.0", "--to", "inferencepool@v1.2.0"], "older than"),
    (["--from", "llm-d-router-gateway@v0.10.0", "--to", "inferencepool@v1.5.0"], "not supported"),
])
def test_cli_cannot_run(argv, needle, tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text("inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n")
    rc, _, err = run(["migrate", str(f), *argv], capsys)
    assert rc == 2 and needle in err and "Traceback" not in err


def test_hand_written_file_keeps_comments_order_and_quoting():
    text = ("# my values\n\n# the EPP\ninferenceExtension:  # picker\n  # how many\n  replicas: 2\n"
            "  extraServicePorts:   # for zmq\n    - {name: zmq, port: 5557, protocol: TCP, targetPort: 5557}\n"
            "  # flags, quoted on purpose\n  flags:\n    v: \"1\"\n  monitoring:\n    interval: 30s  # slow\n"
            "# the pool\ninferencePool:\n  modelServerType: vllm\n  modelServers:\n    matchLabels:\n"
            "      'llm-d.ai/inferenceServing': \"true\"\n# trailing note\n")
    m = migrate([("v.yaml", text)], chart("inferencepool-v1.5.0"), chart(ROUTER), helm=str(HELM),
                today="2026-12-01")
    out = m.files[0].text
    assert comment_texts(out) >= comment_texts(text)
    assert "      'llm-d.ai/inferenceServing': \"true\"" in out and 'v: "1"' in out
    order = [out.index(s) for s in ("  epp:", "    replicas: 2", "    flags:", "  extraServicePorts:",
                                    "  monitoring:", "  modelServers:", "# trailing note")]
    assert order == sorted(order)
    assert m.ok, [(f.thing, f.aspect, f.old, f.new) for f in m.proof.facets if f.verdict == LOST]


def test_blocks_that_meet_keep_their_own_line_comments():
    # v1.0.1's top-level istio joins provider on v1.2.0: both key lines keep their comments
    text = "provider:  # the gateway\n  name: istio\nistio:  # legacy place\n  destinationRule:\n    host: x\n" \
           "inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n"
    m = migrate([("v.yaml", text)], chart("inferencepool-v1.0.1"), chart("inferencepool-v1.2.0"), helm=str(HELM))
    out = m.files[0].text
    assert "provider:  # the gateway\n  name: istio\n  istio:  # legacy place\n    destinationRule:\n      host: x\n" in out
    assert m.ok
