"""Every generated values file renders with the real helm and the real chart, and the rendered
manifests contain what was asked for."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from support import ALL_CHARTS, CHART_IDS, ROOT

from gaie_tui.core.charts.refs import ChartRef
from gaie_tui.core.charts.store import KnowledgeStore
from gaie_tui.core.errors import UserError
from gaie_tui.core.values.generate import Answers, chart_from_header, generate
from gaie_tui.core.values.providers import PROVIDERS

RELEASE, NS = "gaie-test", "llm-d"
IMAGE = "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"


def render(helm_bin, archive, values_text, tmp_path) -> list[dict]:
    values = tmp_path / "values.yaml"
    values.write_text(values_text)
    r = subprocess.run([helm_bin, "template", RELEASE, str(archive), "--namespace", NS, "-f", str(values)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def epp_container(docs):
    dep = next(d for d in by_kind(docs, "Deployment") if d["metadata"]["name"] == f"{RELEASE}-epp")
    return next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "epp")


CASES = [(a, p) for a in ALL_CHARTS for p in PROVIDERS
         if not (a.name == "inferencepool-v1.0.0.tgz" and p == "istio")]


@pytest.mark.parametrize("archive,provider", CASES, ids=[f"{a.stem}-{p}" for a, p in CASES])
def test_generated_values_render_with_everything_asked_for(shared_dir, helm_bin, tmp_path, archive, provider):
    chart = KnowledgeStore().get(ChartRef(path=archive))
    answers = Answers(release=RELEASE, namespace=NS, provider=provider, image=IMAGE,
                      hf_secret="llm-d-hf-token", selector={"llm-d.ai/inferenceServing": "true", "llm-d.ai/guide": "x"})
    gen = generate(chart, answers)
    assert chart_from_header(gen.text) == str(archive)
    docs = render(helm_bin, archive, gen.text, tmp_path)

    epp = epp_container(docs)
    assert epp["image"] == IMAGE
    assert {"name": "zmq", "containerPort": 5557, "protocol": "TCP"} in epp["ports"]
    env = {e["name"]: e for e in epp.get("env", [])}
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "llm-d-hf-token", "key": "HF_TOKEN"}

    svc = next(d for d in by_kind(docs, "Service") if d["metadata"]["name"] == f"{RELEASE}-epp")
    assert any(p.get("name") == "zmq" and p["port"] == 5557 for p in svc["spec"]["ports"])

    pool = by_kind(docs, "InferencePool")[0]
    labels = pool["spec"]["selector"]["matchLabels"]
    assert labels == {"llm-d.ai/inferenceServing": "true", "llm-d.ai/guide": "x"}
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == [8000]

    rules = by_kind(docs, "DestinationRule")
    if provider == "istio":
        (dr,) = rules
        assert dr["spec"]["host"] == f"{RELEASE}-epp.{NS}.svc.cluster.local"
        pool_cfg = dr["spec"]["trafficPolicy"]["connectionPool"]
        assert pool_cfg["http"]["http1MaxPendingRequests"] == 256000
        assert pool_cfg["tcp"]["maxConnectionDuration"] == "1800s"
        assert dr["spec"]["trafficPolicy"]["tls"]["mode"] == "SIMPLE"
    else:
        assert rules == []
    if provider == "gke":
        assert by_kind(docs, "GCPBackendPolicy")
    if provider == "istio":
        # flags v=1 from the istio profile reach the container in the chart's own syntax
        args = [str(a) for a in epp["args"]]
        if chart.family == "llm-d-router-gateway":
            assert "--v=1" in args
        else:
            assert args[args.index("--v") + 1] == "1"


@pytest.mark.parametrize("archive", ALL_CHARTS, ids=CHART_IDS)
def test_default_image_is_the_endpoint_picker_paired_with_the_chart(shared_dir, helm_bin, tmp_path, archive):
    chart = KnowledgeStore().get(ChartRef(path=archive))
    gen = generate(chart, Answers(release=RELEASE, namespace=NS, provider="none"))
    assert gen.image.tag not in ("latest", "main")
    epp = epp_container(render(helm_bin, archive, gen.text, tmp_path))
    assert epp["image"] == gen.image.ref
    assert epp["imagePullPolicy"] == "Always"
    if chart.family == "llm-d-router-gateway":
        assert gen.image.ref == f"ghcr.io/llm-d/llm-d-router-endpoint-picker:{chart.version}"
    else:
        assert "llm-d-inference-scheduler" in gen.image.ref and "renamed" in gen.text


def test_advanced_options_reach_the_manifests(shared_dir, helm_bin, tmp_path):
    archive = shared_dir / "charts" / "inferencepool-v1.5.0.tgz"
    chart = KnowledgeStore().get(ChartRef(path=archive))
    gen = generate(chart, Answers(release=RELEASE, namespace=NS, provider="none", zmq=False,
                                  selector={"app": "vllm-qwen"}, model_server_type="trtllm-serve",
                                  target_ports=[8000, 8001], replicas=3, monitoring=True))
    values = yaml.safe_load(gen.text)
    assert values["inferenceExtension"]["monitoring"]["prometheus"]["auth"]["secretName"] == f"{RELEASE}-metrics-reader-secret"
    docs = render(helm_bin, archive, gen.text, tmp_path)
    epp = epp_container(docs)
    assert "--ha-enable-leader-election" in epp["args"]
    assert all(p.get("name") != "zmq" for p in epp["ports"])
    pool = by_kind(docs, "InferencePool")[0]
    assert pool["spec"]["selector"]["matchLabels"] == {"app": "vllm-qwen"}
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == [8000, 8001]
    assert any("trtllm" in str(a) for a in epp["args"])
    assert by_kind(docs, "ServiceMonitor")
    assert "leader" in gen.text


def test_unsupported_model_server_type_names_the_versions_that_have_it(monkeypatch):
    from gaie_tui.core.charts.refs import parse_ref
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.4.0"))
    with pytest.raises(UserError) as err:
        generate(chart, Answers(model_server_type="trtllm-serve"))
    assert "from inferencepool v1.5.0" in str(err.value)


def test_istio_on_v1_0_0_is_refused_with_a_way_out():
    from gaie_tui.core.charts.refs import parse_ref
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.0.0"))
    with pytest.raises(UserError, match="no istio support"):
        generate(chart, Answers(provider="istio"))


@pytest.mark.parametrize("argv,needle", [
    (["--chart", "nosuch@v1.0.0"], "unknown chart"),
    (["--chart", "inferencepool@v7.0.0"], "could not reach"),
    (["--release", "Not_Valid"], "invalid release name"),
    (["--namespace", "Prod_NS"], "invalid namespace"),
    (["--provider", "traefik"], "invalid choice"),
    (["--image", "ghcr.io/llm-d/llm-d-router-endpoint-picker:latest"], "not a release"),
    (["--selector", "novalue"], "not KEY=VALUE"),
    (["--chart", "/nonexistent/chart.tgz"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2_no_traceback(argv, needle, monkeypatch, tmp_path):
    r = subprocess.run([sys.executable, "-m", "gaie_tui.cli", "generate", *argv], capture_output=True, text=True,
                       cwd=ROOT, env={"PATH": "/usr/bin:/bin", "GAIE_TUI_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path),
                            "GAIE_TUI_REGISTRY_MIRRORS": os.environ["GAIE_TUI_REGISTRY_MIRRORS"]})
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


def test_corrupt_archive_via_cli(tmp_path):
    bad = tmp_path / "inferencepool-v1.4.0.tgz"
    bad.write_bytes(b"\x1f\x8b garbage")
    r = subprocess.run([sys.executable, "-m", "gaie_tui.cli", "generate", "--chart", str(bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "not a readable chart archive" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_generate_writes_file_atomically_and_schema_accepts_it(shared_dir, tmp_path):
    import json

    import jsonschema
    out = tmp_path / "values.yaml"
    r = subprocess.run([sys.executable, "-m", "gaie_tui.cli", "generate", "--chart", "inferencepool@v1.4.0",
                        "--hf-secret", "hf-token:token", "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr
    values = yaml.safe_load(out.read_text())
    assert values["inferenceExtension"]["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "token"}
    s = subprocess.run([sys.executable, "-m", "gaie_tui.cli", "schema", "--chart", "inferencepool@v1.4.0"],
                       capture_output=True, text=True, cwd=ROOT)
    schema = json.loads(s.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(values, schema)
    # and the schema does what helm does not: it refuses the seed's misplaced provider block
    values["inferenceExtension"]["provider"] = {"name": "istio"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, schema)
