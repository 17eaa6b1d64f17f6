"""Stopping the simulated cluster is prompt and bounded, whatever the signals and clients are doing.

Regression tests for `gaie-tui sim` hanging after SIGINT: a shell that starts a command in the
background without job control (a script's `cmd &`, which is how a CI step or a benchmark harness
often runs pytest) starts it with SIGINT and SIGQUIT ignored, children inherit that, and Python
then never turns SIGINT into KeyboardInterrupt, so the server ignored Ctrl-C / `kill -INT`.
"""
from __future__ import annotations

import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from gaie_tui.sim.server import SimServer
from gaie_tui.sim.store import Store

ROOT = Path(__file__).resolve().parents[2]
# start the sim command the way a non-job-control shell starts a background job: SIGINT ignored
_IGNORING_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                    "os.execv(sys.executable, [sys.executable, '-m', 'gaie_tui.cli', 'sim', *sys.argv[1:]])")


def _start_sim(*args: str, ignore_sigint: bool) -> subprocess.Popen:
    argv = [sys.executable, "-c", _IGNORING_SIGINT, *args] if ignore_sigint else \
        [sys.executable, "-m", "gaie_tui.cli", "sim", *args]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # "simulated cluster (...) serving ..."
    if "serving" not in line:
        proc.kill()
        pytest.fail(f"sim did not start: {line!r} {proc.communicate()}")
    while "press Ctrl-C" not in line:
        line = proc.stdout.readline()
        assert line, proc.communicate()
    return proc


@pytest.mark.parametrize("sig, ignore_sigint", [(signal.SIGINT, True), (signal.SIGINT, False), (signal.SIGTERM, True)],
                         ids=["sigint-inherited-ignored", "sigint", "sigterm"])
def test_sim_command_stops_on_signal_even_when_sigint_was_ignored_by_the_parent(sig, ignore_sigint):
    proc = _start_sim("--scenario", "empty-cluster", "--port", "0", ignore_sigint=ignore_sigint)
    try:
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"`gaie-tui sim` did not stop within 10 s of {sig.name}")
    assert proc.returncode == 0, stderr
    assert "simulated cluster stopped" in stderr and "Traceback" not in stderr


def _stop_within(sim: SimServer, seconds: float) -> bool:
    done = threading.Thread(target=sim.stop, daemon=True)
    done.start()
    done.join(seconds)
    return not done.is_alive()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="--tls needs openssl")
def test_a_silent_client_on_the_tls_port_blocks_neither_other_clients_nor_stop():
    sim = SimServer("empty-cluster", tls=True, ready_delay=0.1).start()
    silent = socket.create_connection((sim.host, sim.port))  # connects, never sends a ClientHello
    try:
        sim.wait_until_serving(timeout=5)  # a real TLS client still gets answers
        ctx = ssl.create_default_context(cadata=sim.ca_pem.decode())
        with urllib.request.urlopen(f"{sim.url}/readyz", context=ctx, timeout=5) as resp:
            assert resp.status == 200
        assert _stop_within(sim, 5), "SimServer.stop() waited on a TLS handshake that never came"
    finally:
        silent.close()
        if sim._httpd is not None:
            _stop_within(sim, 1)


def test_store_close_does_not_wait_forever_for_a_held_lock():
    store = Store()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    held.wait(5)
    start = time.monotonic()
    store.close(timeout=0.2)
    assert time.monotonic() - start < 2
    assert store.closed
    release.set()
    holder.join(5)
