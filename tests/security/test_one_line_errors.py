"""Issue 12 #5, #6, #9 and issue 13 #6: every failure path is one line on stderr and a documented
exit code (README, "Exit codes") — never a traceback; a crashed checker is a failing check; a
missing credential plugin and a malformed CA are reported as what they are; the wizard's options
work after `demo`."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
import yaml
from support import ROOT

from gaie_tui.cli import build_parser, main
from gaie_tui.core.cluster import preflight
from gaie_tui.core.cluster.checks import FAIL
from gaie_tui.core.cluster.kube import Cluster, ClusterError
from gaie_tui.sim.server import SimServer


def _run(*args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gaie_tui.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **kw.pop("env", {})}, **kw)


def _one_line(proc: subprocess.CompletedProcess, code: int, says: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("gaie-tui")]
    assert len(lines) == 1, proc.stderr
    assert says in lines[0], lines[0]


def test_preflight_values_from_dev_zero_is_bounded_and_one_line():
    # before: 4 GB read into memory, then MemoryError; now 2 MB are read and refused
    proc = _run("preflight", "-f", "/dev/zero", "--release", "gaie", "--namespace", "llm-d")
    _one_line(proc, 2, "gave more than 2 MB (not a regular file")


def test_preflight_values_that_are_too_large_say_their_size(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# x\n" * 800_000)
    proc = _run("preflight", "-f", str(big), "--release", "gaie", "--namespace", "llm-d")
    _one_line(proc, 2, "is 3.1 MB; values files over 2 MB are refused")


def test_preflight_values_that_are_not_utf8_name_the_position(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xff\n")
    proc = _run("preflight", "-f", str(bad), "--release", "gaie", "--namespace", "llm-d")
    _one_line(proc, 2, f"{bad}:2:4: the file is not UTF-8")


def test_demo_with_an_unknown_scenario_names_the_known_ones():
    proc = _run("demo", "--scenario", "nope")
    _one_line(proc, 2, "invalid choice: 'nope' (choose from 'empty-cluster', 'epp-crashloop'")


def test_demo_help_lists_every_scenario_with_its_description():
    from gaie_tui.sim.scenarios import SCENARIOS
    proc = _run("demo", "--help")
    assert proc.returncode == 0
    for name, sc in SCENARIOS.items():
        assert f"  {name}" in proc.stdout and sc.description[:40] in proc.stdout.replace("\n", " ")
    assert "--no-mouse" in proc.stdout and "--values" in proc.stdout


@pytest.mark.parametrize("argv, expect", [
    (["demo", "--no-mouse"], {"command": "demo", "no_mouse": True}),
    (["--no-mouse", "demo"], {"command": "demo", "no_mouse": True}),
    (["demo", "--values", "v.yaml", "--chart", "inferencepool@v1.4.0"],
     {"values": ["v.yaml"], "chart": "inferencepool@v1.4.0", "no_mouse": False}),
    (["--values", "v.yaml", "demo", "--scenario", "label-drift"], {"values": ["v.yaml"], "scenario": "label-drift"}),
    (["--chart", "demo", "demo", "--no-mouse"], {"chart": "demo", "command": "demo", "no_mouse": True}),
])
def test_global_options_are_accepted_after_the_subcommand(argv, expect):
    from gaie_tui.cli import _subcommand
    args = build_parser(_subcommand(argv)).parse_args(argv)
    for k, v in expect.items():
        assert getattr(args, k) == v, (k, vars(args))


@pytest.mark.parametrize("command", ["validate", "deploy", "sim", "demo"])
def test_version_after_any_subcommand_prints_it(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("gaie-tui 0.")


def test_dev_py_demo_passes_no_mouse_after_the_subcommand():
    """`python3 dev.py demo --no-mouse` execs `gaie-tui demo --no-mouse`: that parses now."""
    src = (ROOT / "dev.py").read_text()
    assert '[str(BIN / "gaie-tui"), "demo", *rest]' in src
    proc = _run("demo", "--no-mouse", "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("gaie-tui ")


def test_a_crashed_checker_is_a_failing_check_that_says_so(monkeypatch):
    import gaie_tui.core.check.checker as checker

    def crash(*a, **kw):
        raise KeyError("rules")

    monkeypatch.setattr(checker, "check_text", crash)
    c = preflight.values_check("a: 1\n", None)
    assert c.status == FAIL
    assert c.evidence.startswith("could not check the values: ")


def test_a_checker_that_reports_it_could_not_check_is_a_failing_check(monkeypatch):
    import gaie_tui.core.check.checker as checker
    from gaie_tui.core.values.diagnostics import Diagnostic

    monkeypatch.setattr(checker, "check_text", lambda *a, **kw: [
        Diagnostic("checker-crashed", "error", "", 1, 1, "could not check: a rule failed (see gaie-tui.log)", "")])
    c = preflight.values_check("a: 1\n", None)
    assert c.status == FAIL and c.evidence == "could not check the values: could not check: a rule failed (see gaie-tui.log)"


def test_preflight_shows_the_crash_as_fail_not_warn(tmp_path, capsys, monkeypatch):
    import gaie_tui.core.check.checker as checker
    monkeypatch.setattr(checker, "check_text", lambda *a, **kw: 1 / 0)
    values = tmp_path / "v.yaml"
    values.write_text("inferencePool:\n  modelServers:\n    matchLabels: {app: x}\n")
    code = main(["preflight", "-f", str(values), "--release", "gaie", "--namespace", "llm-d", "--format", "json",
                 "--kubeconfig", str(tmp_path / "none")])
    doc = json.loads(capsys.readouterr().out)
    check = next(c for c in doc["checks"] if c["id"] == "values")
    assert code in (1, 2) and check["status"] == "fail"
    assert check["evidence"] == "could not check the values: division by zero"


# ---- kubeconfig problems reported as what they are ------------------------------------------
@pytest.fixture(scope="module")
def tls_kubeconfig():
    with SimServer("llm-d-ready", tls=True, ready_delay=0.1) as sim:
        sim.wait_until_serving()
        yield sim.kubeconfig()


def _variant(tmp_path, kc: dict, change) -> str:
    doc = yaml.safe_load(yaml.safe_dump(kc))
    change(doc)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_a_missing_exec_credential_plugin_is_named_not_a_401(tmp_path, tls_kubeconfig, capfd):
    path = _variant(tmp_path, tls_kubeconfig, lambda d: d["users"][0].update(user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "gke-gcloud-auth-plugin-nowhere",
        "interactiveMode": "Never"}}))
    with pytest.raises(ClusterError) as err:
        Cluster.connect(path).ping()
    assert err.value.kind == "config"
    assert "credential plugin 'gke-gcloud-auth-plugin-nowhere'" in err.value.message
    assert "not installed" in err.value.message and "401" not in str(err.value)
    out, errout = capfd.readouterr()
    assert "ERROR:root:" not in errout and errout == ""   # nothing stray on the terminal


def test_a_malformed_ca_is_reported_as_a_bad_ca_not_a_stopped_cluster(tmp_path, tls_kubeconfig, capfd):
    pem = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    path = _variant(tmp_path, tls_kubeconfig, lambda d: d["clusters"][0]["cluster"].update(
        {"certificate-authority-data": base64.b64encode(pem).decode()}))
    with pytest.raises(ClusterError) as err:
        Cluster.connect(path).ping()
    assert err.value.kind == "config"
    assert "certificate authority" in err.value.message and "not a valid PEM certificate" in err.value.message
    assert "running" not in err.value.hint
    assert capfd.readouterr().err == ""


def test_the_headless_command_says_so_in_one_line(tmp_path, tls_kubeconfig):
    path = _variant(tmp_path, tls_kubeconfig, lambda d: d["users"][0].update(user={"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "no-such-auth-plugin",
        "interactiveMode": "Never"}}))
    proc = _run("verify", "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", path)
    _one_line(proc, 2, "credential plugin 'no-such-auth-plugin'")
