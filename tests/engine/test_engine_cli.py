"""The headless commands end to end: approval, exit codes, JSON, a killed deploy, bad clusters."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from enginehelp import READY_DELAY, chart_for, values_for
from support import ROOT

from gaie_tui.cli import main
from gaie_tui.sim import kubeconfig as kubeconfig_mod
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.server import SimServer

REF = "inferencepool@v1.5.0"


def _values(tmp_path: Path, **kw) -> str:
    path = tmp_path / "values.yaml"
    path.write_text(values_for(chart_for(REF), **kw))
    return str(path)


def _kube(sc) -> list[str]:
    return ["--kubeconfig", str(sc.kubeconfig), "--context", sc.context]


def _cli(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gaie_tui.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, **kw)


def test_deploy_refuses_without_yes_and_without_a_terminal(tmp_path):
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        p = _cli(["deploy", "-f", _values(tmp_path), "--release", "gaie", "--namespace", "llm-d",
                  "--record-dir", str(tmp_path / "rec"), *_kube(sc)])
        out, err = p.communicate(timeout=60)
        assert p.returncode == 2
        assert "approval is required" in err and "--yes" in err and "Traceback" not in err
        assert not (tmp_path / "rec").exists()
        assert not [r for r in sc.server.request_log if r.startswith(("POST", "PUT", "PATCH", "DELETE"))]


def test_preflight_deploy_verify_commands_and_exit_codes(tmp_path, capsys):
    values = _values(tmp_path)
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        common = ["-f", values, "--release", "gaie", "--namespace", "llm-d", *_kube(sc)]
        assert main(["preflight", *common, "--format", "json"]) == 0
        pre = json.loads(capsys.readouterr().out)
        assert pre["status"] == "pass" and {c["id"] for c in pre["checks"]} >= {"cluster", "crd-inferencepool", "rbac"}
        assert not [r for r in sc.server.request_log if r.startswith(("PUT", "PATCH", "DELETE"))]
        # verify before anything is deployed: could not run (no release) → 2
        assert main(["verify", "--release", "gaie", "--namespace", "llm-d", *_kube(sc)]) == 2
        capsys.readouterr()
        rc = main(["deploy", *common, "--yes", "--record-dir", str(tmp_path / "rec"), "--timeout", "30s",
                   "--format", "json"])
        dep = json.loads(capsys.readouterr().out)
        assert rc == 0 and dep["status"] == "verified" and dep["revision"] == 1
        assert Path(dep["record_dir"]).parent == tmp_path / "rec"
        assert main(["verify", "--release", "gaie", "--namespace", "llm-d", "--chart", REF, *_kube(sc)]) == 0
        text = capsys.readouterr().out
        assert "[ok  ] Helm release: revision 1 deployed, chart inferencepool-v1.5.0" in text
        # asking for another version than the deployed one fails the release check
        assert main(["verify", "--release", "gaie", "--namespace", "llm-d", "--chart", "inferencepool@v1.4.0",
                     "--format", "json", *_kube(sc)]) == 1
        ver = json.loads(capsys.readouterr().out)
        rel = next(c for c in ver["checks"] if c["id"] == "release")
        assert rel["status"] == "fail" and "inferencepool-v1.4.0 was asked for" in rel["evidence"]
        # a second deploy is an upgrade with its own record folder
        assert main(["deploy", *common, "--yes", "--record-dir", str(tmp_path / "rec"), "--timeout", "30s"]) == 0
        assert "this will be an upgrade" in capsys.readouterr().out
        assert len(list((tmp_path / "rec").iterdir())) == 2


def _helm_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and "upgrade" in cmd:
            pids.append(int(proc.name))
    return pids


def _wait_for_helm(rec: Path, marker: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list(rec.glob("*/helm.log"))
        if logs and logs[0].read_text() and _helm_pids(marker):
            return
        time.sleep(0.1)
    raise AssertionError("helm never started")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_killing_the_deploy_midway_leaves_a_record_that_says_so(tmp_path, sig):
    with simulated_cluster("epp-never-ready", ready_delay=READY_DELAY) as sc:
        rec = tmp_path / "rec"
        p = _cli(["deploy", "-f", _values(tmp_path), "--release", "gaie", "--namespace", "llm-d", "--yes",
                  "--record-dir", str(rec), "--timeout", "120s", *_kube(sc)])
        _wait_for_helm(rec, str(sc.kubeconfig))
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
        assert time.monotonic() - t0 < 20
        assert p.returncode == 130, err
        assert "Traceback" not in err
        assert _helm_pids(str(sc.kubeconfig)) == []  # helm and its children are gone
    (folder,) = rec.iterdir()
    data = json.loads((folder / "record.json").read_text())
    assert data["status"] == "interrupted" and data["ended"]
    assert any(s["status"] == "interrupted" and "helm was stopped" in s["message"] for s in data["steps"])
    assert "INTERRUPTED" in (folder / "record.md").read_text()
    assert "cancelling" in (folder / "helm.log").read_text()
    assert "Outcome: interrupted" in out


def test_a_hard_killed_deploy_leaves_an_unfinished_record_and_no_helm_or_values_behind(tmp_path):
    """kill -9 mid-helm: the record says NOT FINISHED, the kernel stops helm with its parent
    (parent-death signal), and no values file is left in the temp folder."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    with simulated_cluster("epp-never-ready", ready_delay=READY_DELAY) as sc:
        rec = tmp_path / "rec"
        marker = str(sc.kubeconfig)
        p = _cli(["deploy", "-f", _values(tmp_path), "--release", "gaie", "--namespace", "llm-d", "--yes",
                  "--record-dir", str(rec), "--timeout", "120s", *_kube(sc)], env={**os.environ, "TMPDIR": str(tmpdir)})
        _wait_for_helm(rec, marker)
        p.kill()
        p.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while _helm_pids(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _helm_pids(marker)
        for pid in left:  # never leave one behind, even when the assertion below fails
            os.killpg(pid, signal.SIGKILL)
        assert left == [], "helm outlived the deploy that started it"
    (folder,) = rec.iterdir()
    data = json.loads((folder / "record.json").read_text())
    assert data["status"] == "in-progress" and data["ended"] is None
    md = (folder / "record.md").read_text()
    assert "NOT FINISHED" in md and "upgrade --install" in md
    assert not list(tmpdir.rglob("gaie-values-*")) and not list(tmpdir.iterdir()), list(tmpdir.rglob("*"))
    assert oct((folder / "record.json").stat().st_mode & 0o777) == "0o600"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


def test_values_folder_is_said_to_be_a_folder(tmp_path, capsys):
    assert main(["deploy", "-f", str(tmp_path), "--release", "gaie", "--namespace", "llm-d", "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"values file {tmp_path} is a folder" in err and "does not exist" not in err


def test_unreachable_cluster_is_a_clear_error(tmp_path, capsys):
    srv = SimServer("llm-d-ready")
    srv.start()
    url = srv.url
    srv.stop()  # nothing listens on that port any more
    cfg = kubeconfig_mod.write_atomic(tmp_path / "kc", kubeconfig_mod.build(url, context="lab"))
    args = ["-f", _values(tmp_path), "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", str(cfg)]
    assert main(["preflight", *args]) == 2
    out = capsys.readouterr().out
    assert f"cannot reach the Kubernetes API at {url} (context 'lab'): connection refused" in out
    assert "kubectl --context lab cluster-info" in out
    assert main(["deploy", *args, "--yes", "--record-dir", str(tmp_path / "rec")]) == 2
    assert "connection refused" in capsys.readouterr().out
    assert main(["verify", "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", str(cfg)]) == 2
    assert "connection refused" in capsys.readouterr().err


def test_rejected_credentials_are_a_clear_error(tmp_path, capsys):
    srv = SimServer("llm-d-ready", token="the-right-token-0123456789")
    srv.start()
    try:
        srv.wait_until_serving()
        cfg = kubeconfig_mod.write_atomic(tmp_path / "kc", kubeconfig_mod.build(
            srv.url, context="prod-east", token="an-expired-token-0123456789"))
        args = ["-f", _values(tmp_path), "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", str(cfg)]
        assert main(["preflight", *args]) == 2
        out = capsys.readouterr().out
        assert "rejected the credentials of context 'prod-east' (401 Unauthorized)" in out
        assert "log in again" in out and "an-expired-token" not in out
        assert main(["verify", "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", str(cfg)]) == 2
        err = capsys.readouterr().err
        assert "401" in err and "Traceback" not in err
    finally:
        srv.stop()


def test_invalid_names_never_reach_the_cluster(tmp_path, capsys):
    assert main(["deploy", "-f", _values(tmp_path), "--release", "Bad_Name", "--namespace", "llm-d", "--yes"]) == 2
    assert "invalid release name" in capsys.readouterr().err
    assert main(["verify", "--release", "ok", "--namespace", "NS!"]) == 2
    assert "invalid namespace" in capsys.readouterr().err


@pytest.mark.parametrize("answer,code", [("no", 2), ("yes", 0)])
def test_deploy_on_a_terminal_shows_the_plan_and_asks(tmp_path, answer, code):
    import pty
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        master, slave = pty.openpty()
        p = subprocess.Popen([sys.executable, "-m", "gaie_tui.cli", "deploy", "-f", _values(tmp_path), "--release",
                              "gaie", "--namespace", "llm-d", "--record-dir", str(tmp_path / "rec"), *_kube(sc)],
                             cwd=ROOT, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        os.write(master, f"{answer}\n".encode())
        out, err = p.communicate(timeout=120)
        os.close(master)
        assert p.returncode == code, err
        assert "Plan: deploy inferencepool v1.5.0 as release gaie in namespace llm-d" in err
        assert "upgrade --install gaie" in err
        assert "Preflight:" in out and "[ok  ] Cluster reachable" in out   # shown before the question
        if answer == "no":
            assert "not approved" in err and not (tmp_path / "rec").exists()
        else:
            assert "Outcome: verified" in out
