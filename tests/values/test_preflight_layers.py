"""`gaie-tui preflight -f base.yaml -f overlay.yaml`: layered values checked against a cluster (the
project's emulator, driven by the real helm), every values finding named by its file and line."""
from __future__ import annotations

import json

import pytest
from values_testkit import chart, chart_dirs, generated  # noqa: F401

from gaie_tui.cli import main
from gaie_tui.sim.demo import simulated_cluster

pytestmark = pytest.mark.xdist_group("sim-preflight")


def split(text: str) -> tuple[str, str]:
    """The generated file without its pool block, and the pool block alone (as an overlay)."""
    head, pool, rest = text.partition("inferencePool:\n")
    body, _, tail = rest.partition("\nprovider:")
    return head + "provider:" + tail, "# the pool, layered on top\ninferencePool:\n" + body + "\n"


def test_preflight_accepts_layers_and_names_the_file_of_each_finding(tmp_path, capsys):
    base, overlay = tmp_path / "base.yaml", tmp_path / "overlay.yaml"
    b, o = split(generated("inferencepool-v1.5.0", "istio", hf_secret="llm-d-hf-token", release="gaie"))
    base.write_text(b)
    overlay.write_text(o + "  modelServerTypo: vllm\n")
    with simulated_cluster("llm-d-ready", ready_delay=0.15) as sc:
        argv = ["preflight", "-f", str(base), "-f", str(overlay), "--release", "gaie", "--namespace", "llm-d",
                "--kubeconfig", str(sc.kubeconfig), "--context", sc.context, "--format", "json"]
        rc = main(argv)
        doc = json.loads(capsys.readouterr().out)
        assert not [r for r in sc.server.request_log if r.startswith(("POST", "PUT", "PATCH", "DELETE"))
                    and "selfsubjectaccessreviews" not in r]
    checks = {c["id"]: c for c in doc["checks"]}
    assert checks["render"]["status"] == "pass"              # the merged values render: matchLabels came from the overlay
    values = checks["values"]
    assert rc == 1 and values["status"] == "fail"
    n = o.count("\n") + 1
    assert values["details"] == [f"error {overlay}:{n}: inferencePool.modelServerTypo: unknown key `modelServerTypo` "
                                 "under `inferencePool`: helm silently ignores it"]
    assert f"-f {base} -f {overlay}" in values["remedy"]
    # without the typo the same two layers pass, like the single generated file
    overlay.write_text(o)
    with simulated_cluster("llm-d-ready", ready_delay=0.15) as sc:
        argv[argv.index("--kubeconfig") + 1] = str(sc.kubeconfig)
        assert main(argv) == 0
        doc = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["status"] for c in doc["checks"]}["values"] == "pass"


@pytest.mark.parametrize("command", ["preflight", "deploy"])
@pytest.mark.parametrize("problem", ["missing", "folder", "not-yaml"])
def test_a_bad_layer_is_one_clear_line_before_anything_runs(tmp_path, capsys, command, problem):
    base = tmp_path / "base.yaml"
    base.write_text(generated("inferencepool-v1.5.0", "istio", hf_secret="llm-d-hf-token", release="gaie"))
    bad = tmp_path / ("overlay.yaml" if problem != "folder" else "overlays")
    if problem == "folder":
        bad.mkdir()
    elif problem == "not-yaml":
        bad.write_text("inferenceExtension:\n  flags: [v\n")
    extra = ["--yes", "--record-dir", str(tmp_path / "rec")] if command == "deploy" else []
    rc = main([command, "-f", str(base), "-f", str(bad), "--release", "gaie", "--namespace", "llm-d",
               "--kubeconfig", str(tmp_path / "no-kubeconfig"), *extra])
    out = capsys.readouterr()
    assert rc == 2 and out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.err, out.err
    expected = {"missing": f"values file {bad} does not exist", "folder": f"values file {bad} is a folder",
                "not-yaml": f"{bad}:3:1: "}[problem]
    assert expected in lines[0]
    assert not (tmp_path / "rec").exists()
