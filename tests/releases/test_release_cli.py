"""The headless twins: `gaie-tui releases`, `rollback` and `uninstall` — approval as for `deploy`
(a typed `yes`, the release name on production, `--yes` off a terminal), its exit codes, JSON, a
record for every run, and the release state the emulator holds afterwards."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from releases_kit import READY, release_secrets
from support import ROOT

from gaie_tui.cli import main
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.faults import Fault


@pytest.fixture
def day_two():
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        yield sc


def _kube(sc) -> list[str]:
    return ["--kubeconfig", str(sc.kubeconfig), "--context", sc.context]


def _writes(sc) -> list[str]:
    return [r for r in sc.server.request_log if r.split()[0] in ("POST", "PUT", "PATCH", "DELETE")
            and "selfsubjectaccessreviews" not in r]


def _terminal(monkeypatch, answer: str) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": asked.append(prompt) or answer)
    return asked


def test_releases_text_and_json(day_two, capsys):
    sc = day_two
    assert main(["releases", *_kube(sc)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split()[:7] == ["NAMESPACE", "NAME", "CHART", "VERSION", "STATUS", "REV", "AGE"]
    row = {ln.split()[1]: ln for ln in lines[1:]}
    assert set(row) == {"edited", "gaie", "router", "stuck"}
    assert "pending-upgrade (stuck)" in row["stuck"] and row["edited"].rstrip().endswith("PROD")
    assert "llm-d-router-gateway  v0.10.0" in row["router"] and "EPP 1/1 Ready · 2/2 endpoints Ready" in row["gaie"]
    assert "4 release(s) in all namespaces" in err
    assert main(["releases", "-n", "team-stuck", "--format", "json", *_kube(sc)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["all_namespaces"] is False and data["namespaces"] == ["team-stuck"]
    [stuck] = data["releases"]
    assert (stuck["name"], stuck["status"], stuck["stuck"], stuck["revision"]) == ("stuck", "pending-upgrade", True, 2)
    assert stuck["image"] == "ghcr.io/llm-d/llm-d-inference-scheduler:v0.8.0" and stuck["health"] == "pass"
    assert _writes(sc) == []


def test_releases_history(day_two, capsys):
    assert main(["releases", "--history", "gaie", *_kube(day_two)]) == 0
    out = capsys.readouterr().out
    assert "revision 1  superseded" in out and "chart inferencepool v1.4.0" in out
    assert "EPP ghcr.io/llm-d/llm-d-inference-scheduler:v0.7.1" in out
    assert "values: inferenceExtension.image.tag: v0.7.1 → v0.8.0" in out
    assert main(["releases", "--history", "gaie", "--format", "json", *_kube(day_two)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["values_diff"]["changes"][0]["path"] for r in data["revisions"][1:]] == ["inferenceExtension.flags.v"]


def test_rollback_off_a_terminal_needs_yes_and_changes_nothing(day_two, tmp_path, capsys):
    sc = day_two
    code = main(["rollback", "gaie", "--revision", "1", "--record-dir", str(tmp_path / "rec"), *_kube(sc)])
    err = capsys.readouterr().err
    assert code == 2 and "approval is required and there is no terminal" in err and "--yes" in err
    assert _writes(sc) == [] and not (tmp_path / "rec").exists()


def test_rollback_typed_yes_then_recorded(day_two, tmp_path, capsys, monkeypatch):
    sc = day_two
    asked = _terminal(monkeypatch, "yes")
    code = main(["rollback", "gaie", "--revision", "1", "--record-dir", str(tmp_path), *_kube(sc)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert asked == ["Roll back release gaie to revision 1 in llm-d? Type 'yes' to approve: "]
    assert "Roll back release gaie in llm-d (revision 2, deployed, inferencepool-v1.5.0) to revision 1" in err
    assert "Outcome: rolled-back. Record:" in out and "[ok  ] EPP image: ghcr.io/llm-d/llm-d-inference-scheduler:v0.7.1" in out
    assert release_secrets(sc, "gaie", "llm-d")[-1] == (3, "deployed")
    [record] = list(tmp_path.iterdir())
    assert json.loads((record / "record.json").read_text())["status"] == "rolled-back"


def test_production_refuses_yes_and_wants_the_release_name(day_two, tmp_path, capsys, monkeypatch):
    sc = day_two
    asked = _terminal(monkeypatch, "yes")
    code = main(["uninstall", "edited", "--record-dir", str(tmp_path), *_kube(sc)])
    out, err = capsys.readouterr()
    assert code == 2 and "not approved: nothing was changed" in err
    assert "PRODUCTION" in asked[0] and "Type the release name" in asked[0]
    assert "PRODUCTION: the namespace name inference-prod looks like production." in err
    [refused] = list(tmp_path.iterdir())
    assert json.loads((refused / "record.json").read_text())["status"] == "refused"
    assert release_secrets(sc, "edited", "inference-prod") == [(1, "deployed")]
    _terminal(monkeypatch, "edited")
    assert main(["uninstall", "edited", "--record-dir", str(tmp_path), *_kube(sc)]) == 0
    out, err = capsys.readouterr()
    assert "- Deployment edited-epp in inference-prod" in err and "Outcome: uninstalled" in out
    assert release_secrets(sc, "edited", "inference-prod") == []


def test_recover_the_stuck_release_headless(day_two, tmp_path, capsys):
    sc = day_two
    code = main(["rollback", "stuck", "--yes", "--record-dir", str(tmp_path), *_kube(sc)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "Release stuck in team-stuck is stuck (pending-upgrade)" in err
    assert "recovery: rollback to revision 1" in err
    assert release_secrets(sc, "stuck", "team-stuck") == [(1, "superseded"), (2, "pending-upgrade"), (3, "deployed")]


def test_uninstall_json_and_ambiguous_names(day_two, tmp_path, capsys):
    sc = day_two
    assert main(["uninstall", "router", "--yes", "--format", "json", "--record-dir", str(tmp_path), *_kube(sc)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "uninstalled" and data["exit_code"] == 0 and data["remaining"] == []
    assert [o["kind"] for o in data["plan"]["objects"]] == ["ServiceAccount", "Role", "RoleBinding", "Service",
                                                           "Deployment", "InferencePool", "DestinationRule"]
    assert main(["uninstall", "nope", "--yes", *_kube(sc)]) == 2
    assert "no release nope in any namespace" in capsys.readouterr().err
    assert main(["rollback", "gaie", "--revision", "0", "--yes", *_kube(sc)]) == 2
    assert main(["rollback", "gaie", "--timeout", "soon", "--yes", *_kube(sc)]) == 2


def test_a_failed_rollback_exits_1_and_an_interrupted_one_130(day_two, tmp_path):
    sc = day_two
    sc.server.set_faults((Fault("image-pull"),))  # the restored EPP never becomes Ready: helm waits
    args = ["rollback", "gaie", "--revision", "1", "--yes", "--record-dir", str(tmp_path / "a"), *_kube(sc)]
    assert main([*args, "--timeout", "2s"]) == 1
    [failed] = list((tmp_path / "a").iterdir())
    assert json.loads((failed / "record.json").read_text())["status"] == "failed"
    proc = subprocess.Popen([sys.executable, "-m", "gaie_tui.cli", "rollback", "gaie", "--revision", "2", "--yes",
                             "--record-dir", str(tmp_path / "b"), "--timeout", "60s", *_kube(sc)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "helm rollback" not in "".join(
            (p / "record.json").read_text() for p in (tmp_path / "b").glob("*") if (p / "record.json").exists()):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    [interrupted] = list((tmp_path / "b").iterdir())
    assert json.loads((interrupted / "record.json").read_text())["status"] == "interrupted"
    assert "Traceback" not in err


def test_new_commands_are_listed(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("releases", "rollback", "uninstall"):
        assert name in out
    assert Path(ROOT / "gaie_tui" / "commands" / "releases.py").is_file()
