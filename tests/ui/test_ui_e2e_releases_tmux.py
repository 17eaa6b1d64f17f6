"""End to end in tmux, the real program at 80×24 with NO_COLOR and no mouse: `gaie-tui demo` on a
cluster that already holds releases (scenario existing-releases) opens on the Releases screen;
verify a release on the dashboard, upgrade it (Review shows what changes), roll it back to revision
1 from its history — each leaves a record."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from tmuxkit import base_env, keys, tmux, wait_for  # noqa: F401 - tmux is a fixture

pytestmark = [pytest.mark.tmux, pytest.mark.xdist_group("ui-tmux-releases")]


@pytest.fixture
def session(tmux, tmp_path, shared_dir, helm_bin):
    env = {**base_env(tmp_path, helm_bin), "NO_COLOR": "1", "GAIE_TUI_CHART_DIRS": str(shared_dir / "charts")}
    return tmux(env, f"demo --no-mouse --scenario existing-releases --record-dir {tmp_path / 'records'}",
                size=(80, 24))


def press(name: str, *pressed: str) -> None:
    keys(name, *pressed, pause=0.15)     # one key at a time, as a person types


def _records(tmp_path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "records").glob("gaie-*/record.json"))]


def test_a_release_present_verify_upgrade_roll_back(session, tmp_path):
    name = session
    # the cluster holds releases: the Releases screen is the first screen
    wait_for(name, "4 releases in all namespaces", 40)
    wait_for(name, "EPP 1/1 · pods 2/2", 20)               # health looked at
    press(name, "Down")                                      # edited → gaie
    wait_for(name, "gaie in llm-d — inferencepool v1.5.0, revision 2", 5)

    # verify it: the dashboard, then its record
    press(name, "v")
    wait_for(name, "record written (ctrl+n)", 60)
    press(name, "C-n")
    wait_for(name, "RECORD WRITTEN", 20)
    assert [r["status"] for r in _records(tmp_path)] == ["verified"]
    press(name, "Escape")
    press(name, "Escape")
    wait_for(name, "4 releases in all namespaces", 10)

    # upgrade it: its values in the editor, one edit, Review says it is an upgrade of revision 2
    press(name, "u")
    wait_for(name, "# the values of release gaie", 30)
    press(name, "C-Home")
    for _ in range(5):
        press(name, "Down")
    for key in ("End", "BSpace", "4"):   # one at a time: a burst can be read out of order (issue 13 #16)
        press(name, key)
    wait_for(name, "v: 4", 5)
    press(name, "C-n")
    wait_for(name, "UPGRADE of release gaie in llm-d", 60)
    wait_for(name, "Ready to approve", 60)
    press(name, "a")
    wait_for(name, "Upgrade release gaie", 10)
    press(name, "y")
    wait_for(name, "deployed, revision 3", 120)
    press(name, "C-n")
    wait_for(name, "record written (ctrl+n)", 90)
    upgrade = [r for r in _records(tmp_path) if r.get("revision") == 3]
    assert upgrade and upgrade[0]["status"] == "verified"

    # roll it back to revision 1 from its history
    press(name, ":")
    press(name, "r", "e", "l", "e", "a", "s", "e", "s", "Enter")
    wait_for(name, "4 releases in all namespaces", 20)
    wait_for(name, "gaie in llm-d — inferencepool v1.5.0, revision 3", 20)
    press(name, "h")
    wait_for(name, "This is the current revision.", 30)
    press(name, "Down")
    press(name, "Down")
    wait_for(name, "Revision 1: superseded, chart inferencepool v1.4.0", 10)
    press(name, "r")
    wait_for(name, "Ready to approve (a).", 30)
    press(name, "a")
    wait_for(name, "Roll back release gaie to revision 1", 10)
    press(name, "y")
    wait_for(name, "rolled-back · record:", 120)
    rollback = [r for r in _records(tmp_path) if r.get("action") == "rollback"]
    assert rollback and rollback[0]["status"] == "rolled-back" and rollback[0]["revision"] == 4
    press(name, "Escape")
    wait_for(name, "gaie in llm-d — inferencepool v1.4.0, revision 4", 20)
    press(name, "C-q")
    wait_for(name, "GAIE_EXIT=0", 20)
