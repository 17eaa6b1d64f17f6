"""End to end: the real program in tmux, keys by send-keys, screen by capture-pane.

- `gaie-tui demo` from Setup to Record (with GAIE_TUI_CHART_DIRS), and without any chart archive
  or network: Setup says so on its first screen and how to provide one.
- A deploy that is killed (`kill -9`), quit (ctrl+q) or hung up on (SIGHUP) mid-helm: the record
  says NOT FINISHED (with the reason when the wizard could still say it), no helm process remains,
  no values file is left in the temp folder, the terminal is given back, and the next start offers
  to resume.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from tmuxkit import base_env, keys, screen, tmux, tmux_run, wait_for  # noqa: F401 - tmux is a fixture

pytestmark = [pytest.mark.tmux, pytest.mark.xdist_group("ui-tmux")]


def _helm_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and "upgrade" in cmd and "--install" in cmd:
            pids.append(int(proc.name))
    return pids


def _wizard_pid(name: str) -> int:
    shell = int(tmux_run("list-panes", "-t", name, "-F", "#{pane_pid}").split()[0])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == shell and "gaie-tui" in cmd:
            return int(proc.name)
    raise AssertionError("the wizard's process was not found")


@pytest.mark.parametrize("size, no_color", [((100, 30), False), ((80, 24), True)], ids=["100x30", "80x24-NO_COLOR"])
def test_demo_from_setup_to_record(tmux, tmp_path, shared_dir, helm_bin, size, no_color):
    env = base_env(tmp_path, helm_bin)
    env["GAIE_TUI_CHART_DIRS"] = str(shared_dir / "charts")
    if no_color:
        env["NO_COLOR"] = "1"
    del env["GAIE_TUI_STATE_DIR"]
    name = tmux(env, f"demo --record-dir {tmp_path / 'records'}", size=size)
    wait_for(name, "SIMULATED CLUSTER", 20)
    wait_for(name, "matches 2 pod(s), 2 Ready", 30)
    assert "chart archive: local archive" in screen(name)
    keys(name, "C-n")
    wait_for(name, "errors", 20)            # the Values screen's counts
    values = screen(name)
    assert "✗ 0 errors" in values
    if size[0] < 100:                          # the explanation is a strip under the editor: F2 opens it
        assert "(F2:" in values and "│" not in values.split("\n")[4]
    keys(name, "C-n")
    wait_for(name, "Ready to approve", 30)
    keys(name, "a")
    wait_for(name, "Deploy release gaie-inference", 10)
    keys(name, "y")
    wait_for(name, "deployed, revision 1", 120)
    keys(name, "C-n")
    wait_for(name, "record written", 60)
    keys(name, "C-n")
    shown = wait_for(name, "RECORD WRITTEN", 20)
    records = list((tmp_path / "records").glob("gaie-inference-*/record.md"))
    assert records, shown
    assert "Outcome: verified" in records[0].read_text()
    assert "removed when the demo exits" not in shown      # --record-dir keeps them
    keys(name, "C-q")
    wait_for(name, "GAIE_EXIT=0", 20)
    tmpdir = Path(env["TMPDIR"])
    assert not list(tmpdir.iterdir()), f"the demo left files behind: {list(tmpdir.iterdir())}"


def test_demo_without_any_chart_archive_says_so_on_setup(tmux, tmp_path, helm_bin):
    """A fresh clone with no shared/ folder beside it and no network: Setup's first screen says no
    chart archive is at hand, and the ways to provide one."""
    env = base_env(tmp_path, helm_bin)       # no GAIE_TUI_CHART_DIRS, registries unreachable, empty cache
    del env["GAIE_TUI_STATE_DIR"]
    name = tmux(env, "demo", size=(120, 40))
    wait_for(name, "no chart archive here", 30)
    wanted = ("cannot be reached", "--chart PATH.tgz", "GAIE_TUI_CHART_DIRS", "GAIE_TUI_REGISTRY_MIRRORS")
    end = time.monotonic() + 20
    while time.monotonic() < end:                 # the demo's notice may cover the line for a while
        flat = " ".join(screen(name).split())
        if all(w in flat for w in wanted):
            break
        time.sleep(0.2)
    assert all(w in flat for w in wanted), flat
    keys(name, "C-q")
    wait_for(name, "GAIE_EXIT=0", 20)


@pytest.fixture
def hanging_deploy(tmux, tmp_path, shared_dir, helm_bin):
    """The wizard (not the demo: its cluster runs here, in the test) deploying into a cluster whose
    EPP never gets Ready, so helm keeps waiting; returns (tmux name, env, kubeconfig, records)."""
    from gaie_tui.sim.demo import simulated_cluster
    with simulated_cluster("epp-never-ready", ready_delay=0.2, namespace="llm-d") as sc:
        env = base_env(tmp_path, helm_bin)
        env.update(GAIE_TUI_CHART_DIRS=str(shared_dir / "charts"), KUBECONFIG=str(sc.kubeconfig))
        name = tmux(env, "")
        wait_for(name, "matches 2 pod(s), 2 Ready", 30)
        keys(name, "C-n")
        wait_for(name, "errors", 20)
        keys(name, "C-n")
        wait_for(name, "Ready to approve", 30)
        keys(name, "a")
        wait_for(name, "Deploy release gaie-inference", 10)
        keys(name, "y")
        wait_for(name, "helm is deploying", 30)
        end = time.monotonic() + 30
        while not _helm_pids(str(sc.kubeconfig)) and time.monotonic() < end:
            time.sleep(0.1)
        assert _helm_pids(str(sc.kubeconfig)), "helm never started"
        yield name, env, str(sc.kubeconfig), tmp_path / "gaie-records"
        for pid in _helm_pids(str(sc.kubeconfig)):   # never leave one behind, even when a test failed
            os.kill(pid, signal.SIGKILL)


def _gone(marker: str, timeout: float = 15) -> bool:
    end = time.monotonic() + timeout
    while _helm_pids(marker) and time.monotonic() < end:
        time.sleep(0.1)
    return not _helm_pids(marker)


def _record(records: Path) -> tuple[Path, dict]:
    (folder,) = records.iterdir()
    return folder, json.loads((folder / "record.json").read_text())


def test_kill_9_mid_helm_leaves_a_not_finished_record_and_no_helm(hanging_deploy, tmux):
    name, env, marker, records = hanging_deploy
    os.kill(_wizard_pid(name), signal.SIGKILL)
    wait_for(name, "GAIE_EXIT=137", 10)
    assert _gone(marker), "helm outlived the wizard"
    folder, data = _record(records)
    assert data["status"] == "in-progress" and data["ended"] is None
    assert "NOT FINISHED" in (folder / "record.md").read_text()
    assert data["approved_by"] == "in the wizard" and "upgrade" in data["helm_command"]
    # no values file for helm or the render is left in the temp folder (the deep check's own temp
    # folders, core/check/deep.py, are not the engine's: reported to the checker's owners)
    left = [p for p in Path(env["TMPDIR"]).iterdir() if not p.name.startswith(("gaie-tui-render-", "gaie-tui-charts-"))]
    assert not list(Path(env["TMPDIR"]).rglob("gaie-values-*")) and left == [], left
    # the next start says that deploy did not finish and offers its values again
    again = tmux(env, "")
    shown = wait_for(again, "Resume its values?", 20)
    assert "NOT FINISHED" in shown and folder.name in shown
    keys(again, "y")
    wait_for(again, "errors", 20)           # back on Values with the draft
    keys(again, "C-q")
    wait_for(again, "GAIE_EXIT=0", 20)


def test_ctrl_q_during_helm_stops_it_and_the_record_says_quit(hanging_deploy):
    name, _env, marker, records = hanging_deploy
    keys(name, "C-q")
    wait_for(name, "Quit anyway?", 10)
    keys(name, "y")
    shown = wait_for(name, "GAIE_EXIT=0", 40)
    assert "Quit anyway" not in shown, "the terminal was given back (the wizard's screen is gone)"
    assert _gone(marker)
    folder, data = _record(records)
    assert data["status"] == "quit" and data["ended"] and "the wizard was quit" in data["reason"]
    assert "NOT FINISHED" in (folder / "record.md").read_text()
    assert "cancelling" in (folder / "helm.log").read_text()


def test_sighup_during_helm_stops_it_and_the_record_says_why(hanging_deploy):
    name, _env, marker, records = hanging_deploy
    os.kill(_wizard_pid(name), signal.SIGHUP)
    wait_for(name, "GAIE_EXIT=129", 40)
    assert _gone(marker)
    folder, data = _record(records)
    assert data["status"] == "interrupted" and "SIGHUP" in data["reason"]
    md = (folder / "record.md").read_text()
    assert "NOT FINISHED" in md and "SIGHUP" in md
