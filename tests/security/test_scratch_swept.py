"""Issue 12 leftover: the deep check (and the migration proof) render the user's values from
scratch files. After `kill -9` in the middle of a render, nothing with the values is left in the
system temp folder, and what is left in the private scratch folder (0700, under the state folder)
is swept by the next start."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import CHARTS

FAKE_HELM = """#!/bin/sh
# a helm that hangs in the middle of a render, after saying where it is
if [ "$1" = "version" ]; then echo v3.15.0; exit 0; fi
touch "{marker}"
sleep 60
"""
MARK = "a-setting-only-this-test-writes"


def _env(tmp_path: Path, helm: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAIE_TUI_")}
    env.update(GAIE_TUI_STATE_DIR=str(tmp_path / "state"), GAIE_TUI_CACHE_DIR=str(tmp_path / "cache"),
               GAIE_TUI_CONFIG_DIR=str(tmp_path / "config"), GAIE_TUI_CHART_DIRS=str(CHARTS),
               GAIE_TUI_HELM=helm, TMPDIR=str(tmp_path / "tmp"))
    return env


def _validate(values: Path, env: dict, **kw) -> subprocess.Popen:
    code = ("import sys; from gaie_tui.cli import main; "
            f"sys.exit(main(['validate', '--deep', {str(values)!r}, '--chart', 'inferencepool@v1.5.0']))")
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **kw)


def _files_with(folder: Path, text: str) -> list[Path]:
    out = []
    for p in folder.rglob("*"):
        if p.is_file():
            try:
                if text in p.read_text(errors="replace"):
                    out.append(p)
            except OSError:
                pass
    return out


def test_a_deep_check_killed_mid_render_leaves_nothing_in_tmp_and_is_swept_next_start(tmp_path, helm_bin):
    (tmp_path / "tmp").mkdir()
    marker = tmp_path / "helm-is-rendering"
    fake = tmp_path / "helm"
    fake.write_text(FAKE_HELM.format(marker=marker))
    fake.chmod(0o755)
    values = tmp_path / "values.yaml"
    values.write_text("inferencePool:\n  modelServers:\n    matchLabels:\n      app: vllm\n"
                      f"inferenceExtension:\n  env:\n    - name: NOTE\n      value: {MARK}\n")
    proc = _validate(values, _env(tmp_path, str(fake)), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the deep check never started helm"
        scratch = tmp_path / "state" / "scratch"
        assert _files_with(scratch, MARK), "the values are rendered from the private scratch folder"
        assert oct(scratch.stat().st_mode & 0o777) == "0o700"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)     # the checker and its helm, as kill -9 of a terminal would
        proc.wait()
    assert not list((tmp_path / "tmp").iterdir()), "nothing in the system temp folder"
    left = [p for p in scratch.iterdir() if p.name.startswith(f"{proc.pid}-")]
    assert left, "a killed process cannot remove its own folders"
    # the next start (a real deep check with the real helm) sweeps what the killed one left
    assert _validate(values, _env(tmp_path, helm_bin)).wait(timeout=120) in (0, 1)
    assert not [p for p in scratch.iterdir() if p.name.startswith(f"{proc.pid}-")]
    assert not _files_with(tmp_path / "state", MARK)
    assert not list((tmp_path / "tmp").iterdir())
