"""The emulator cannot be made to eat memory: credentials are checked before a body is read,
bodies are capped while they are read, and YAML apply patches are under an alias/size budget."""
from __future__ import annotations

import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from support import alias_bomb

from gaie_tui.sim.http import MAX_BODY
from gaie_tui.sim.server import SimServer

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    """`gaie-tui sim --tls` in its own process, so its memory can be measured."""
    out = tmp_path_factory.mktemp("sim") / "kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "gaie_tui.cli", "sim", "--tls", "--port", "0",
                             "--kubeconfig-out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not out.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the emulator did not start: {proc.communicate()}")
        time.sleep(0.05)
    doc = yaml.safe_load(out.read_text())
    url = doc["clusters"][0]["cluster"]["server"]
    host, port = url.removeprefix("https://").split(":")
    yield proc, host, int(port), doc["users"][0]["user"]["token"]
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)


def _connect(host: str, port: int):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the test talks to its own self-signed emulator
    sock = socket.create_connection((host, port), timeout=30)
    return ctx.wrap_socket(sock, server_hostname=host)


def _status(conn, line: bytes = b"") -> int:
    while not line.endswith(b"\r\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        line += chunk
    return int(line.split()[1])


def _answer_started(conn) -> bytes:
    """The answer's first byte if one has arrived, else b"". A readable socket alone says
    nothing: TLS 1.3 sends session tickets after the handshake."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not (readable or conn.pending()):
        return b""
    conn.settimeout(0)
    try:
        return conn.recv(1)
    except ssl.SSLWantReadError:
        return b""
    finally:
        conn.settimeout(30)


def _post_chunked(host, port, token: str | None, total: int, chunk: int = 256 * 1024):
    """Stream a chunked POST of `total` bytes; the answer's status and how many bytes had been
    sent when it arrived. One thread only: an SSL socket written by one thread while another
    reads or closes it can crash the interpreter (a segfault in CI), so the sender looks for
    the answer between pieces instead of reading it from a second thread."""
    conn = _connect(host, port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    conn.sendall((f"POST /api/v1/namespaces/llm-d/configmaps HTTP/1.1\r\nHost: {host}\r\n{auth}"
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode())
    sent, first = 0, b""
    piece = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    try:
        while sent < total:
            first = _answer_started(conn)
            if first:
                break  # the server has answered: stop sending, as a real client would
            conn.sendall(piece)
            sent += chunk
        else:
            conn.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and hung up: what we want
    status = _status(conn, first)
    conn.close()
    return status, sent


def test_500_mb_chunked_body_without_credentials_is_refused_before_it_is_read(tls_sim):
    proc, host, port, _token = tls_sim
    status, sent = _post_chunked(host, port, None, 500 * MB)
    assert status == 401
    # the answer came before the body: nowhere near 500 MB had been sent, let alone read
    assert sent < 100 * MB, f"{sent / MB:.0f} MB sent before the 401"
    assert _peak_rss_mb(proc.pid) < 100  # about 30 MB: the emulator at rest


def test_authorized_chunked_body_over_the_cap_is_413_with_memory_bounded(tls_sim):
    proc, host, port, token = tls_sim
    status, _sent = _post_chunked(host, port, token, MAX_BODY + 8 * MB)
    assert status == 413
    # at most MAX_BODY (64 MB) was held; before the cap a 500 MB body became 1 GB resident
    assert _peak_rss_mb(proc.pid) < MAX_BODY / MB + 100


def test_authorized_declared_sizes_over_the_cap_are_413_before_reading(tls_sim):
    _proc, host, port, token = tls_sim
    # a Content-Length over the cap
    conn = _connect(host, port)
    conn.sendall((f"POST /api/v1/namespaces/llm-d/configmaps HTTP/1.1\r\nHost: {host}\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {MAX_BODY + 1}\r\n\r\n").encode())
    assert _status(conn) == 413
    conn.close()
    # one chunk that claims more than the cap
    conn = _connect(host, port)
    conn.sendall((f"POST /api/v1/namespaces/llm-d/configmaps HTTP/1.1\r\nHost: {host}\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                  f"Transfer-Encoding: chunked\r\n\r\n{MAX_BODY + 1:x}\r\n").encode())
    assert _status(conn) == 413
    conn.close()


ALIAS_BOMB = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + alias_bomb("  ")).encode()


def _apply(url: str, body: bytes) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    req = urllib.request.Request(f"{url}/api/v1/namespaces/llm-d/configmaps/bomb?fieldManager=t", data=body,
                                 method="PATCH", headers={"Content-Type": "application/apply-patch+yaml"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_yaml_apply_patch_alias_bomb_is_400_without_expanding_it():
    assert len(ALIAS_BOMB) < 600
    with SimServer("llm-d-ready", ready_delay=0.1) as sim:
        sim.wait_until_serving()
        tracemalloc.start()
        try:
            status, body = _apply(sim.url, ALIAS_BOMB)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert status == 400, body
        assert "aliases" in body
        # 10^8 values after expansion; refused on the node graph: a few MB at most, not 1.6 GB
        assert peak < 30 * MB
        assert not sim.errors
        # and the server still serves ordinary apply patches
        status, body = _apply(sim.url, b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata: {a: b}\n")
        assert status == 201, body


@pytest.mark.parametrize("body, says", [
    (b"a: &a [*a]\n", "own anchor"),
    (b"[" * 300 + b"]" * 300, "deeper"),
    (b"\xff\xfe", "UTF-8"),
    (b"metadata: {name: bomb}\nspec: !!int abc\n", "could not be decoded"),
], ids=["recursive-alias", "too-deep", "not-utf8", "bad-tag"])
def test_hostile_yaml_bodies_are_400(body, says):
    with SimServer("llm-d-ready", ready_delay=0.1) as sim:
        sim.wait_until_serving()
        status, text = _apply(sim.url, body)
        assert status == 400, text
        assert says in text
        assert not sim.errors
