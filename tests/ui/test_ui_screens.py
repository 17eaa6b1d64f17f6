"""Pilot tests for Deploy, Verify and Record with a scripted Services; SVG snapshots of every
screen at 80×24 and 120×40 (stable: fixed clock, no cursor blink, no notifications)."""
from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable, Log, Static

from gaie_tui.ui.screens import values as values_screen
from gaie_tui.ui.services import CheckRow

pytestmark = pytest.mark.xdist_group("ui-screens")
SNAP = pytest.mark.xdist_group("ui-snapshots")


async def _approve(pilot, app):
    await pilot.pause(0.3)
    await pilot.press("ctrl+n")
    await pilot.pause(0.3)
    await pilot.press("ctrl+n")
    await pilot.pause(0.4)
    assert app.screen.STEP == "review"
    await pilot.press("a")
    await pilot.pause(0.2)
    await pilot.click("#yes")
    await pilot.pause(0.4)
    assert app.screen.STEP == "deploy"


async def test_deploy_streams_lines_then_verify_and_record(app_factory, fake, tmp_path):
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _approve(pilot, app)
        await pilot.pause(0.3)
        log = app.screen.query_one("#helm-log", Log)
        assert log.line_count >= 13 and "helm line 12" in log.lines[-1]
        assert "deployed, revision 1" in str(app.screen.query_one("#deploy-state", Static).content)
        assert not app.state.deploy_running
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        assert app.screen.STEP == "verify"
        table = app.screen.query_one("#checks", DataTable)
        assert table.row_count == 5
        # the deploy screen's clock, now under Verify, no longer redraws (over SSH every redraw
        # below the top screen repainted all of it, once a second)
        deploy = next(s for s in app.screen_stack if getattr(s, "STEP", "") == "deploy")
        shown = str(deploy.query_one("#deploy-state", Static).content)
        deploy.result = None          # would read "deploying" if it were redrawn
        deploy._tick()
        assert str(deploy.query_one("#deploy-state", Static).content) == shown
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        assert app.screen.STEP == "record"
        rec = app.state.record_path
        assert rec is not None and (rec / "record.md").is_file() and (rec / "values.yaml").is_file()
        assert str(rec) in str(app.screen.query_one("#record-where", Static).content)


@pytest.fixture
def fake_cls(fake):
    """The fake Services class, via its fixture: `from conftest import …` would pick whichever
    test folder's conftest.py happened to load first."""
    return type(fake)


async def test_deploy_follow_pauses_when_scrolled_up(app_factory, tmp_path, fake_cls):
    FakeServices = fake_cls
    gate = threading.Semaphore(0)
    fake = FakeServices(tmp_path, deploy_lines=80, line_gate=gate)
    app = app_factory(fake)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await _approve(pilot, app)
        scr = app.screen
        log = scr.query_one("#helm-log", Log)
        gate.release(40)             # 40 lines: more than the log shows
        await pilot.pause(0.4)
        assert log.is_vertical_scroll_end, "follows the bottom by default"
        log.scroll_home(animate=False)
        await pilot.pause(0.05)
        before = scr.unseen
        gate.release(40)
        await pilot.pause(0.5)
        assert scr.unseen > before
        assert "new lines" in str(scr.query_one("#new-lines", Static).content)
        await pilot.press("f")
        await pilot.pause(0.1)
        assert scr.unseen == 0 and log.is_vertical_scroll_end


async def test_deploy_failure_offers_rollback_uninstall_back(app_factory, tmp_path, fake_cls):
    FakeServices = fake_cls
    app = app_factory(FakeServices(tmp_path, deploy_ok=False))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _approve(pilot, app)
        await pilot.pause(0.3)
        scr = app.screen
        assert scr.query_one("#failure-actions").display
        assert "CRD" in str(scr.query_one("#explanation", Static).content)
        await pilot.click("#to-values")
        await pilot.pause(0.3)
        assert app.screen.STEP == "values"


async def test_cancel_asks_and_quit_asks_while_deploying(app_factory, tmp_path, fake_cls):
    FakeServices = fake_cls
    gate = threading.Semaphore(0)
    app = app_factory(FakeServices(tmp_path, deploy_lines=5, line_gate=gate))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _approve(pilot, app)
        assert app.state.deploy_running
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("x")
        await pilot.pause(0.2)
        await pilot.click("#yes")
        gate.release(5)
        await pilot.pause(0.5)
        assert not app.state.deploy_running
        assert app.state.deploy_result.cancelled


async def test_verify_updates_changed_cells_only_and_pauses_under_modal(app_factory, fake):
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _approve(pilot, app)
        await pilot.pause(0.3)
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        scr = app.screen
        table = scr.query_one("#checks", DataTable)
        updates = []
        orig = table.update_cell
        table.update_cell = lambda *a, **k: (updates.append(a[:2]), orig(*a, **k))
        fake.rows = [CheckRow("release", "helm release", "pass", "deployed, chart v1.5.0, revision 1"),
                     CheckRow("epp-deployment", "EPP Deployment", "pass", "1/1 ready"),
                     CheckRow("epp-pods", "EPP pods", "fail", "1 pod(s), 4 restart(s)",
                              ["gaie-epp-0: CrashLoopBackOff", "  error parsing plugins config"], "fix the config"),
                     CheckRow("pool", "InferencePool", "pass", "selector llm-d.ai/inferenceServing=true"),
                     CheckRow("model-servers", "pool selector matches", "pass", "2 Ready model-server pod(s)")]
        await pilot.press("r")
        await pilot.pause(0.3)
        assert sorted(updates) == [("epp-pods", "status"), ("epp-pods", "summary")]
        assert "FAILING" in str(scr.query_one("#status", Static).content)
        table.move_cursor(row=2)
        await pilot.pause(0.1)
        assert "CrashLoopBackOff" in str(scr.query_one("#details-body", Static).content)
        calls = fake.verify_calls
        await pilot.press("f1")   # a modal on top: the timer must not refresh
        await pilot.pause(0.1)
        scr._tick()
        await pilot.pause(0.2)
        assert fake.verify_calls == calls


# ---- snapshots ---------------------------------------------------------------------------------
SIZES = [(80, 24), (120, 40)]
STEPS = ["setup", "values", "review", "deploy", "verify", "record"]


async def _drive_to(pilot, app, step: str) -> None:
    await pilot.pause(0.3)
    for _ in range(50):   # the scripted cluster answers in a worker: wait for its last answer
        if "matches 2 pod" in str(app.screen.query_one("#matches").content) and \
                "bundled" in str(app.screen.query_one("#versions-note").content):
            break
        await pilot.pause(0.05)
    if step == "setup":
        await pilot.pause(0.2)
        return
    await pilot.press("ctrl+n")
    await pilot.pause(0.4)
    if step == "values":
        return
    await pilot.press("ctrl+n")
    await pilot.pause(0.5)
    if step == "review":
        return
    await pilot.press("a")
    await pilot.pause(0.2)
    await pilot.click("#yes")
    await pilot.pause(0.5)
    if step == "deploy":
        return
    await pilot.press("ctrl+n")
    await pilot.pause(0.5)
    if step == "verify":
        return
    await pilot.press("ctrl+n")
    await pilot.pause(0.5)


@SNAP
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", STEPS)
async def test_snapshot(step, size, app_factory, tmp_path, monkeypatch, svg_snapshot, fake_cls):
    FakeServices = fake_cls
    monkeypatch.setattr(values_screen, "DEEP_DELAY", 3600)
    fake = FakeServices(tmp_path)
    import shutil
    from pathlib import Path
    fake.record_dir = Path(f"/tmp/gaie-snapshot-records-{size[0]}")   # fixed length: stable wrapping
    shutil.rmtree(fake.record_dir, ignore_errors=True)
    app = app_factory(fake)
    async with app.run_test(size=size, notifications=False) as pilot:
        await _drive_to(pilot, app, step)
        assert app.screen.STEP == step
        await pilot.pause(0.2)
        svg = app.export_screenshot(title=f"gaie-tui {step}")
    import re
    svg = re.sub(r"gaie-inference-\d{8}T\d{6}Z", "gaie-inference-TIMESTAMP", svg)
    svg_snapshot(svg, f"{step}-{size[0]}x{size[1]}")
