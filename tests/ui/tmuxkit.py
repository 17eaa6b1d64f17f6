"""The real program in a real terminal: tmux sessions driven by send-keys and read by
capture-pane, shared by the end-to-end tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("gaie-tui")


def tmux_run(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def screen(name: str) -> str:
    return tmux_run("capture-pane", "-p", "-t", name)


def wait_for(name: str, text: str, timeout: float = 30) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        shown = screen(name)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{screen(name)}")


def keys(name: str, *pressed: str, pause: float = 0.0) -> None:
    tmux_run("send-keys", "-t", name, *pressed)
    if pause:
        time.sleep(pause)


def base_env(tmp_path: Path, helm_bin: str) -> dict[str, str]:
    """Every folder the program writes in under tmp_path; the upstream fakes the session runs."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    return {
        "PATH": f"{Path(helm_bin).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmpdir), "HOME": str(tmp_path / "home"), "TERM": "xterm-256color",
        "GAIE_TUI_CONFIG_DIR": str(tmp_path / "config"), "GAIE_TUI_CACHE_DIR": str(tmp_path / "cache"),
        "GAIE_TUI_STATE_DIR": str(tmp_path / "state"), "TEXTUAL_ANIMATIONS": "none",
        "GAIE_TUI_REGISTRY_MIRRORS": os.environ["GAIE_TUI_REGISTRY_MIRRORS"],
        "GAIE_TUI_GITHUB_API": os.environ["GAIE_TUI_GITHUB_API"],
        "GAIE_TUI_GITHUB_RAW": os.environ["GAIE_TUI_GITHUB_RAW"],
    }


@pytest.fixture
def tmux(tmp_path):
    """start(env, args, size=…) runs `gaie-tui ARGS` in a new tmux session and names it; the
    shell prints GAIE_EXIT=<code> when the program ends. Every session is killed afterwards."""
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    sessions: list[str] = []

    def start(env: dict[str, str], args: str, *, size=(100, 30), cwd: Path | None = None) -> str:
        name = f"gaie-e2e-{os.getpid()}-{len(sessions)}"
        sessions.append(name)
        envs = " ".join(f"{k}={v!s}" for k, v in env.items())
        cmd = f"cd {cwd or tmp_path} && env {envs} {EXE} {args}; echo GAIE_EXIT=$?; sleep 120"
        tmux_run("kill-session", "-t", name)
        tmux_run("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), cmd)
        return name

    yield start
    for name in sessions:
        tmux_run("kill-session", "-t", name)
