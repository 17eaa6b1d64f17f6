"""The wizard against the project's cluster emulator with the real helm and the real charts:
Setup reads the cluster, deploy streams real helm output, verify shows a fault scenario's failure."""
from __future__ import annotations

import os

import pytest
from textual.widgets import DataTable, Log, Static

from gaie_tui.ui.services import Services
from gaie_tui.ui.widgets.choice import Choice

pytestmark = pytest.mark.xdist_group("ui-cluster")


@pytest.fixture
def sim_services(request, shared_dir, helm_bin, tmp_path, monkeypatch):
    from gaie_tui.sim.server import SimServer
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(shared_dir / "charts"))
    monkeypatch.setenv("PATH", f"{os.path.dirname(helm_bin)}{os.pathsep}{os.environ['PATH']}")
    scenario = getattr(request, "param", "llm-d-ready")
    server = SimServer(scenario, ready_delay=0.3)
    server.start()
    server.wait_until_serving()
    kc = server.write_kubeconfig(tmp_path / "kubeconfig", namespace="llm-d")
    monkeypatch.setenv("KUBECONFIG", str(kc))
    svc = Services(kubeconfig=str(kc), context="gaie-sim", simulated=True, record_dir=str(tmp_path / "records"))
    svc.wait_timeout = "20s"   # a faulty scenario makes helm --wait give up quickly
    yield svc
    server.stop()


async def _wait(pilot, cond, timeout=60.0):
    for _ in range(int(timeout / 0.2)):
        if cond():
            return True
        await pilot.pause(0.2)
    return cond()


async def _deploy(pilot, app):
    scr = app.screen
    assert await _wait(pilot, lambda: "matches" in str(scr.query_one("#matches", Static).content), 20)
    await pilot.press("ctrl+n")
    await pilot.pause(0.5)
    await pilot.press("ctrl+n")
    await pilot.pause(0.5)
    assert app.screen.STEP == "review", app.screen
    assert await _wait(pilot, lambda: "OBJECTS helm template" in str(app.screen.query_one("#objects", Static).content), 30)
    await pilot.press("a")
    await pilot.pause(0.3)
    await pilot.click("#yes")
    await pilot.pause(0.5)
    assert app.screen.STEP == "deploy"
    assert await _wait(pilot, lambda: not app.state.deploy_running, 120)


async def test_setup_reads_cluster_deploys_and_verifies(sim_services, app_factory):
    app = app_factory(sim_services)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        scr = app.screen
        assert await _wait(pilot, lambda: "connected to" in str(scr.query_one("#cluster-status", Static).content), 20)
        assert await _wait(pilot, lambda: scr.query_one("#hf-secret", Choice).value == "llm-d-hf-token", 20)
        assert await _wait(pilot, lambda: "matches 2 pod(s), 2 Ready" in str(scr.query_one("#matches", Static).content))
        await _deploy(pilot, app)
        log = app.screen.query_one("#helm-log", Log)
        assert any("STATUS: deployed" in l for l in log.lines), log.lines[-10:]
        assert app.state.deploy_result.ok
        await pilot.press("ctrl+n")
        await pilot.pause(0.5)
        table = app.screen.query_one("#checks", DataTable)
        assert await _wait(pilot, lambda: table.row_count >= 5 and all(
            r.status in ("pass", "skip", "warn") for r in app.screen.rows.values()), 30), \
            [(r.id, r.status, r.summary) for r in app.screen.rows.values()]
        await pilot.press("ctrl+n")
        assert await _wait(pilot, lambda: app.state.record_path is not None, 10)
        assert (app.state.record_path / "record.json").is_file()


@pytest.mark.parametrize("sim_services", ["epp-crashloop"], indirect=True)
async def test_verify_shows_crashloop_failure(sim_services, app_factory):
    app = app_factory(sim_services)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await _deploy(pilot, app)
        # helm --wait gives up on a crash-looping EPP; the failure screen explains, verify shows why
        assert not app.state.deploy_result.ok
        assert app.screen.query_one("#failure-actions").display
        assert "CrashLoopBackOff" in str(app.screen.query_one("#explanation", Static).content)
        await pilot.press("v")
        await pilot.pause(0.5)
        scr = app.screen
        failing = lambda: [r for r in scr.rows.values() if r.status == "fail" and "CrashLoopBackOff" in
                           " ".join([r.summary, *r.evidence])]
        assert await _wait(pilot, lambda: bool(failing()), 60), \
            [(r.id, r.status, r.summary) for r in scr.rows.values()]
        table = scr.query_one("#checks", DataTable)
        table.move_cursor(row=table.get_row_index(failing()[0].id))
        await pilot.pause(0.2)
        assert "CrashLoopBackOff" in str(scr.query_one("#details-body", Static).content)


@pytest.mark.parametrize("sim_services", ["label-drift"], indirect=True)
async def test_review_preflight_blocks_label_drift_and_names_the_label(sim_services, app_factory):
    from gaie_tui.ui.widgets.action import ActionButton
    app = app_factory(sim_services)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        scr = app.screen
        assert await _wait(pilot, lambda: "nearby pods have" in str(scr.query_one("#matches", Static).content), 20)
        assert "llm-d.ai/inference-serving=true" in str(scr.query_one("#matches", Static).content)
        await pilot.press("ctrl+n")
        await pilot.pause(0.5)
        await pilot.press("ctrl+n")
        await pilot.pause(0.5)
        rev = app.screen
        assert await _wait(pilot, lambda: "PREFLIGHT" in str(rev.query_one("#preflight", Static).content), 30)
        assert "llm-d.ai/inference-serving" in str(rev.query_one("#preflight", Static).content)
        assert rev.query_one("#approve", ActionButton).disabled
        assert "preflight" in str(rev.query_one("#approval", Static).content)
