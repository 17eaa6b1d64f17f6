"""End to end in tmux, the real program at 80×24 with NO_COLOR and no mouse: `gaie-tui demo` on a
cluster that already holds releases (scenario existing-releases) opens on the Releases screen;
verify a release on the dashboard, upgrade it (Review shows what changes), roll it back to revision
1 from its history — each leaves a record."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.xdist_group("ui-tmux-releases")]
EXE = Path(sys.executable).with_name("gaie-tui")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


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
    time.sleep(0.15)


@pytest.fixture
def session(tmp_path, shared_dir, helm_bin):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    import os
    name = f"gaie-e2e-rel-{os.getpid()}"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {
        "PATH": f"{Path(helm_bin).parent}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(tmpdir),
        "HOME": str(tmp_path / "home"), "TERM": "xterm-256color", "NO_COLOR": "1", "TEXTUAL_ANIMATIONS": "none",
        "GAIE_TUI_CONFIG_DIR": str(tmp_path / "config"), "GAIE_TUI_CACHE_DIR": str(tmp_path / "cache"),
        "GAIE_TUI_STATE_DIR": str(tmp_path / "state"), "GAIE_TUI_CHART_DIRS": str(shared_dir / "charts"),
        "GAIE_TUI_REGISTRY_MIRRORS": os.environ["GAIE_TUI_REGISTRY_MIRRORS"],
        "GAIE_TUI_GITHUB_API": os.environ["GAIE_TUI_GITHUB_API"],
        "GAIE_TUI_GITHUB_RAW": os.environ["GAIE_TUI_GITHUB_RAW"],
    }
    envs = " ".join(f"{k}={v}" for k, v in env.items())
    cmd = (f"cd {tmp_path} && env {envs} {EXE} demo --no-mouse --scenario existing-releases "
           f"--record-dir {tmp_path / 'records'}; echo GAIE_EXIT=$?; sleep 120")
    _tmux("kill-session", "-t", name)
    _tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", cmd)
    yield name
    _tmux("kill-session", "-t", name)


def _records(tmp_path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "records").glob("gaie-*/record.json"))]


def test_a_release_present_verify_upgrade_roll_back(session, tmp_path):
    name = session
    # the cluster holds releases: the Releases screen is the first screen
    _wait_for(name, "4 releases in all namespaces", 40)
    _wait_for(name, "EPP 1/1 · pods 2/2", 20)               # health looked at
    _keys(name, "Down")                                      # edited → gaie
    _wait_for(name, "gaie in llm-d — inferencepool v1.5.0, revision 2", 5)

    # verify it: the dashboard, then its record
    _keys(name, "v")
    _wait_for(name, "record written (ctrl+n)", 60)
    _keys(name, "C-n")
    _wait_for(name, "RECORD WRITTEN", 20)
    assert [r["status"] for r in _records(tmp_path)] == ["verified"]
    _keys(name, "Escape")
    _keys(name, "Escape")
    _wait_for(name, "4 releases in all namespaces", 10)

    # upgrade it: its values in the editor, one edit, Review says it is an upgrade of revision 2
    _keys(name, "u")
    _wait_for(name, "# the values of release gaie", 30)
    _keys(name, "C-Home")
    for _ in range(5):
        _keys(name, "Down")
    for key in ("End", "BSpace", "4"):   # one at a time: a burst can be read out of order (issue 13 #16)
        _keys(name, key)
    _wait_for(name, "v: 4", 5)
    _keys(name, "C-n")
    _wait_for(name, "UPGRADE of release gaie in llm-d", 60)
    _wait_for(name, "Ready to approve", 60)
    _keys(name, "a")
    _wait_for(name, "Upgrade release gaie", 10)
    _keys(name, "y")
    _wait_for(name, "deployed, revision 3", 120)
    _keys(name, "C-n")
    _wait_for(name, "record written (ctrl+n)", 90)
    upgrade = [r for r in _records(tmp_path) if r.get("revision") == 3]
    assert upgrade and upgrade[0]["status"] == "verified"

    # roll it back to revision 1 from its history
    _keys(name, ":")
    _keys(name, "r", "e", "l", "e", "a", "s", "e", "s", "Enter")
    _wait_for(name, "4 releases in all namespaces", 20)
    _wait_for(name, "gaie in llm-d — inferencepool v1.5.0, revision 3", 20)
    _keys(name, "h")
    _wait_for(name, "This is the current revision.", 30)
    _keys(name, "Down")
    _keys(name, "Down")
    _wait_for(name, "Revision 1: superseded, chart inferencepool v1.4.0", 10)
    _keys(name, "r")
    _wait_for(name, "Ready to approve (a).", 30)
    _keys(name, "a")
    _wait_for(name, "Roll back release gaie to revision 1", 10)
    _keys(name, "y")
    _wait_for(name, "rolled-back · record:", 120)
    rollback = [r for r in _records(tmp_path) if r.get("action") == "rollback"]
    assert rollback and rollback[0]["status"] == "rolled-back" and rollback[0]["revision"] == 4
    _keys(name, "Escape")
    _wait_for(name, "gaie in llm-d — inferencepool v1.4.0, revision 4", 20)
    _keys(name, "C-q")
    _wait_for(name, "GAIE_EXIT=0", 20)
