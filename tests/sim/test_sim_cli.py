"""`gaie-tui sim` in the foreground, as a user runs it."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gaie_tui.cli", "sim", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_file(path: Path, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no kubeconfig written: {proc.communicate()}")
        time.sleep(0.05)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_foreground_server_writes_kubeconfig_and_stops_cleanly_on_ctrl_c(tmp_path, tls):
    out = tmp_path / "kc" / "config"
    proc = _start("--scenario", "label-drift", "--port", "0", "--kubeconfig-out", str(out),
                  *(["--tls"] if tls else []))
    try:
        _wait_file(out, proc)
        doc = yaml.safe_load(out.read_text())
        server = doc["clusters"][0]["cluster"]
        assert server["server"].startswith("https://127.0.0.1:" if tls else "http://127.0.0.1:")
        assert ("certificate-authority-data" in server) == tls
        assert ("token" in doc["users"][0]["user"]) == tls
        api = config.new_client_from_config(config_file=str(out))
        pods = client.CoreV1Api(api).list_namespaced_pod("llm-d", label_selector="llm-d.ai/inference-serving=true")
        assert len(pods.items) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "serving" in stdout


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gaie_tui.cli", "sim", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args in (["--scenario", "nope"], ["--port", "70000"], ["--kubeconfig-out", str(tmp_path)],
                     ["--port", str(port)], ["--ready-delay", "-1"]):
            proc = _run(*args)
            assert proc.returncode == 2, (args, proc.stderr)
            assert "Traceback" not in proc.stderr
            assert len([line for line in proc.stderr.splitlines() if line.startswith("gaie-tui: error")]) == 1


def test_list_scenarios():
    proc = _run("--list-scenarios")
    assert proc.returncode == 0 and "llm-d-ready" in proc.stdout and "pending-release" in proc.stdout
