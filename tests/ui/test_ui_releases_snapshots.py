"""SVG snapshots of the day-two screens — Releases, History, a stuck release, an action's review — at
80×24 and 120×40 (pytest-textual-snapshot; `--snapshot-update` rewrites them after a change was
checked). They run against the emulator's existing-releases scenario with the real helm; the
fixture fixes what would change between runs: paths (helm, kubeconfig) and the clock the emulator
seeds release ages from and the screens count ages and "since" times from."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from releases_uikit import act, action_ready, freeze_time, releases_listed, screen_name, select
from support import CHARTS
from uihelp import make_app, wait_until

from gaie_tui.core.session import Session

pytestmark = pytest.mark.xdist_group("ui-snapshots-releases")
SIZES = [(80, 24), (120, 40)]
ROOT = Path("/tmp/gaie-tui-snapshots-releases")   # fixed: the helm command shows these paths
HELM_WRAPPER = """#!{python}
# the real helm at a fixed path (the helm command on the screen names it)
import os, sys
os.execv({helm!r}, [{helm!r}] + sys.argv[1:])
"""


@pytest.fixture
def releases_env(shared_dir, helm_bin, monkeypatch):
    from gaie_tui.core.cluster import helm as helm_mod
    from gaie_tui.sim.server import SimServer
    shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True)
    wrapper = ROOT / "helm"
    wrapper.write_text(HELM_WRAPPER.format(python=sys.executable, helm=helm_bin))
    wrapper.chmod(0o755)
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(CHARTS))
    monkeypatch.setenv("GAIE_TUI_HELM", str(wrapper))
    helm_mod.helm_version.cache_clear()
    freeze_time(monkeypatch)
    server = SimServer("existing-releases", ready_delay=0.2)
    server.start()
    server.wait_until_serving()
    kubeconfig = server.write_kubeconfig(ROOT / "kubeconfig", namespace="llm-d")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    session = Session(kubeconfig=str(kubeconfig), context="gaie-sim", record_dir=ROOT / "records")
    session.upstream_offline = True
    session.wait_timeout = "30s"
    yield session
    session.close()
    server.stop()
    shutil.rmtree(ROOT, ignore_errors=True)


async def drive_to(pilot, app, screen: str) -> None:
    await releases_listed(pilot, app)
    if screen == "releases":
        await select(pilot, app, "edited")
    elif screen == "history":
        await act(pilot, app, "gaie", "h", "HistoryScreen")
        assert await wait_until(pilot, lambda: app.screen.history is not None, 30)
        await pilot.press("down")
    elif screen == "stuck":
        await act(pilot, app, "stuck", "s", "StuckScreen")
        assert await wait_until(pilot, lambda: app.screen.diagnosis is not None, 30)
    elif screen == "rollback":
        await act(pilot, app, "gaie", "h", "HistoryScreen")
        assert await wait_until(pilot, lambda: app.screen.history is not None, 30)
        await pilot.press("down", "r")
        assert await wait_until(pilot, lambda: screen_name(app) == "ActionScreen", 30)
        await action_ready(pilot, app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["releases", "history", "stuck", "rollback"])
def test_snapshot(screen, size, snap_compare, releases_env):
    app = make_app(releases_env)
    app.notify = lambda *a, **kw: None   # toasts come and go on their own clock: not part of a layout

    async def run_before(pilot) -> None:
        await drive_to(pilot, app, screen)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
