"""End to end: the real program (`gaie-tui demo`) in tmux, keys by send-keys, screen by capture-pane,
from Setup to Record; the record exists; the demo leaves nothing behind."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.xdist_group("ui-tmux")]
ROOT = Path(__file__).resolve().parents[2]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


@pytest.fixture
def session(tmp_path, shared_dir, helm_bin):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    name = f"gaie-e2e-{os.getpid()}"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    exe = Path(sys.executable).with_name("gaie-tui")
    env = {
        "PATH": f"{Path(helm_bin).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmpdir), "HOME": str(tmp_path / "home"), "TERM": "xterm-256color",
        "GAIE_TUI_CONFIG_DIR": str(tmp_path / "config"), "GAIE_TUI_CACHE_DIR": str(tmp_path / "cache"),
        "GAIE_TUI_CHART_DIRS": str(shared_dir / "charts"), "TEXTUAL_ANIMATIONS": "none",
    }
    envs = " ".join(f"{k}={v!s}" for k, v in env.items())
    cmd = f"env {envs} {exe} demo --record-dir {tmp_path / 'records'}; echo GAIE_EXIT=$?; sleep 60"
    _tmux("kill-session", "-t", name)
    _tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd)
    yield name, tmp_path, tmpdir
    _tmux("kill-session", "-t", name)


def _screen(name: str) -> str:
    return _tmux("capture-pane", "-p", "-t", name)


def _wait_for(name: str, text: str, timeout: float = 30) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        shown = _screen(name)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{_screen(name)}")


def _keys(name: str, *keys: str) -> None:
    _tmux("send-keys", "-t", name, *keys)


def test_demo_from_setup_to_record(session):
    name, tmp_path, tmpdir = session
    _wait_for(name, "SIMULATED CLUSTER", 20)
    _wait_for(name, "matches 2 pod(s), 2 Ready", 30)
    _keys(name, "C-n")
    _wait_for(name, "errors", 20)            # the Values screen's counts
    assert "✗ 0 errors" in _screen(name)
    _keys(name, "C-n")
    _wait_for(name, "Ready to approve", 20)
    _keys(name, "a")
    _wait_for(name, "Deploy release gaie-inference", 10)
    _keys(name, "y")
    _wait_for(name, "deployed, revision 1", 120)
    _keys(name, "C-n")
    _wait_for(name, "all checks pass", 60)
    _keys(name, "C-n")
    shown = _wait_for(name, "RECORD WRITTEN", 20)
    records = list((tmp_path / "records").glob("gaie-inference-*/record.md"))
    assert records, shown
    assert "gaie-inference" in records[0].read_text()
    _keys(name, "C-q")
    _wait_for(name, "GAIE_EXIT=0", 20)
    assert not list(tmpdir.iterdir()), f"the demo left files behind: {list(tmpdir.iterdir())}"
