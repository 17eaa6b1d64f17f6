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
