"""Issue 12 #2 (headless part): text from the cluster reaches the terminal with its control
characters made visible — an annotation, an image name and an EPP log line holding OSC 52 (set
the clipboard), CSI 2J (clear the screen) and OSC 8 (a link) — while `--format json` carries the
same text as data, unchanged."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from hostile import CSI_CLEAR, EVIL, MARKUP, raw_controls
from kubernetes import client, config
from support import CHARTS

from gaie_tui.cli import main
from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.charts.store import KnowledgeStore
from gaie_tui.core.cluster.checks import FAIL, Check, table
from gaie_tui.core.values.generate import Answers, generate
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.faults import Fault

pytestmark = pytest.mark.xdist_group("security-cluster")
REF = "inferencepool@v1.5.0"


def _values(tmp_path: Path) -> str:
    chart = KnowledgeStore().get(parse_ref(str(CHARTS / "inferencepool-v1.5.0.tgz")))
    path = tmp_path / "values.yaml"
    path.write_text(generate(chart, Answers(release="gaie", namespace="llm-d", hf_secret="llm-d-hf-token")).text)
    return str(path)


def _kube(sc) -> list[str]:
    return ["--kubeconfig", str(sc.kubeconfig), "--context", sc.context]


def _api(sc):
    return config.new_client_from_config(config_file=str(sc.kubeconfig), context=sc.context)


def test_the_check_table_shows_control_characters_and_keeps_rows_on_one_line():
    c = Check("x", "EPP image", FAIL, f"running img{EVIL}", f"fix{CSI_CLEAR}", details=[f"line\nforged{EVIL}"])
    out = table([c], color=True)
    assert raw_controls(out) == []
    assert "\\x1b]52;c;" in out and "\\x1b[2J" in out and "\\x9b" in out and "\\u202e" in out
    assert MARKUP in out                       # shown as typed: plain text is never interpreted
    assert len(out.splitlines()) == 3          # the newline in a detail cannot forge a row


def test_preflight_text_shows_a_hostile_annotation_visibly_and_json_keeps_it(tmp_path, capsys):
    values = _values(tmp_path)
    with simulated_cluster("llm-d-ready", ready_delay=0.15) as sc:
        # an object the chart renders, owned by "another release" whose name is an attack
        client.CoreV1Api(_api(sc)).create_namespaced_service("llm-d", {
            "metadata": {"name": "gaie-epp", "annotations": {"meta.helm.sh/release-name": EVIL}},
            "spec": {"ports": [{"port": 9002}], "selector": {"app": "x"}}})
        args = ["preflight", "-f", values, "--release", "gaie", "--namespace", "llm-d", *_kube(sc)]
        assert main(args) == 1
        out = capsys.readouterr().out
        assert raw_controls(out) == [], out
        assert "belongs to release \\x1b]52;c;ZXZpbA==\\x07\\x1b[2J" in out
        assert main([*args, "--format", "json"]) == 1
        doc = json.loads(capsys.readouterr().out)
    collisions = next(c for c in doc["checks"] if c["id"] == "collisions")
    assert EVIL in collisions["evidence"]      # data, unchanged


def helm_install(sc, values: str, tmp_path: Path, helm_bin: str, release: str = "gaie") -> None:
    """A real `helm upgrade --install --wait` of inferencepool v1.5.0 into the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["HOME"] = str(tmp_path)
    proc = subprocess.run([helm_bin, "upgrade", "--install", release, str(CHARTS / "inferencepool-v1.5.0.tgz"),
                           "-n", "llm-d", "-f", values, "--wait", "--timeout", "60s", "--kubeconfig",
                           str(sc.kubeconfig), "--kube-context", sc.context], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_verify_text_shows_a_hostile_image_and_log_line_visibly_and_json_keeps_them(tmp_path, capsys, helm_bin):
    values = _values(tmp_path)
    with simulated_cluster("llm-d-ready", ready_delay=0.15) as sc:
        helm_install(sc, values, tmp_path, helm_bin)
        sc.server.set_faults((Fault("crashloop", message=f"boom {EVIL}"),))
        apps = client.AppsV1Api(_api(sc))
        dep = apps.read_namespaced_deployment("gaie-epp", "llm-d")
        dep.spec.template.spec.containers[0].image = f"ghcr.io/x/epp:v1{EVIL}"
        apps.replace_namespaced_deployment("gaie-epp", "llm-d", dep)
        args = ["verify", "--release", "gaie", "--namespace", "llm-d", *_kube(sc)]
        deadline = time.monotonic() + 30
        while True:   # until the new pod crash-loops and logs its line
            code = main([*args, "--format", "json"])
            doc = json.loads(capsys.readouterr().out)
            logs = " ".join(" ".join(c["details"]) for c in doc["checks"])
            if f"boom {EVIL}" in logs or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert code == 1
        image = next(c for c in doc["checks"] if c["id"] == "epp-image")
        assert f"ghcr.io/x/epp:v1{EVIL}" in image["evidence"]     # JSON: the data as the cluster has it
        assert f"boom {EVIL}" in logs
        assert main(args) == 1
        out = capsys.readouterr().out
    assert raw_controls(out) == [], out
    assert "running ghcr.io/x/epp:v1\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x1b]8;;http://evil.example/" in out
    assert "boom \\x1b]52;c;ZXZpbA==\\x07" in out
