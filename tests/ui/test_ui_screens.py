"""Deploy, Verify and Record through the core engine, against the emulator with the real helm:
helm's output live, the record the engine writes, failures with the actions that fit the release
state, cancel and quit, the dashboard updated in place, outside text never parsed as markup."""
from __future__ import annotations

import json
import time

import pytest
from textual.widgets import DataTable, Log, Static
from uihelp import approve, deployed, setup_settled, text_of, to_review, wait_until

pytestmark = pytest.mark.xdist_group("ui-screens")


async def test_deploy_streams_lines_then_verify_and_record(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        scr = app.screen
        assert await wait_until(pilot, lambda: "connected to context gaie-sim" in text_of(app, "#cluster-status"), 20)
        assert await wait_until(pilot, lambda: scr.query_one("#hf-secret").value == "llm-d-hf-token", 20)
        await deployed(pilot, app)
        log = app.screen.query_one("#helm-log", Log)
        assert any("STATUS: deployed" in line for line in log.lines), log.lines[-10:]
        assert "deployed, revision 1" in text_of(app, "#deploy-state")
        assert not app.screen.query_one("#observed").display      # no stale "while helm waits" line
        run = app.state.run
        assert "deploy" in run.done and not run.running
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify", 10)
        scr = app.screen
        assert await wait_until(pilot, lambda: scr.settled, 60)
        table = scr.query_one("#checks", DataTable)
        assert table.row_count >= 8
        assert all(c.status in ("pass", "skip") for c in run.outcome.verification), run.outcome.verification
        assert type(next(iter(scr.rows.values()))).__name__ == "Check"   # core's Check, shown as it is
        assert "record written" in text_of(app, "#status")
        # the deploy screen's clock, now under Verify, no longer redraws
        deploy = next(s for s in app.screen_stack if getattr(s, "STEP", "") == "deploy")
        shown = text_of_screen(deploy, "#deploy-state")
        deploy.finished = None
        deploy._tick()
        assert text_of_screen(deploy, "#deploy-state") == shown
        deploy.finished = 1000.0
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "record" and app.screen.shown, 20)
        rec = run.outcome.record_dir
        assert rec is not None and (rec / "record.md").is_file() and (rec / "values.yaml").is_file()
        assert str(rec) in text_of(app, "#record-where")
        assert "outcome: verified" in text_of(app, "#record-summary")
        data = json.loads((rec / "record.json").read_text())
        assert data["status"] == "verified" and data["revision"] == 1 and data["ended"]
        assert [c["id"] for c in data["preflight"]][:2] == ["render", "values"]
    from gaie_tui.core.draft import load_draft
    assert load_draft() is None, "deployed and recorded: nothing left to resume"


def text_of_screen(screen, selector) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_helm_bursts_merge_and_follow_pauses_when_scrolled_up(app_factory, sim, monkeypatch):
    from gaie_tui.core.cluster.helm import LogLine
    from gaie_tui.ui.messages import HelmOutput
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await deployed(pilot, app)
        scr = app.screen
        log = scr.query_one("#helm-log", Log)
        handled = []
        original = type(scr).on_helm_output
        monkeypatch.setattr(type(scr), "on_helm_output",
                            lambda self, msg: (handled.append(len(msg.lines)), original(self, msg)))
        before = log.line_count
        for i in range(60):              # a burst: the queued messages merge, no line is lost
            scr.post_message(HelmOutput([LogLine(time.time(), "stdout", f"burst {i}")]))
        await pilot.pause(0.3)
        assert log.line_count == before + 60 and log.lines[-1] == "burst 59"
        assert sum(handled) == 60 and len(handled) < 60, handled
        assert log.is_vertical_scroll_end, "follows the bottom by default"
        log.scroll_home(animate=False)
        await pilot.pause(0.05)
        scr.post_message(HelmOutput([LogLine(time.time(), "stdout", f"late {i}") for i in range(5)]))
        await pilot.pause(0.3)
        assert scr.unseen == 5 and "5 new lines" in text_of(app, "#new-lines")
        await pilot.press("f")
        await pilot.pause(0.1)
        assert scr.unseen == 0 and log.is_vertical_scroll_end


@pytest.mark.parametrize("sim", ["epp-crashloop"], indirect=True)
async def test_failed_first_install_offers_what_fits_and_verify_shows_why(app_factory, sim):
    """helm gives up on a crash-looping EPP and removes the first install: the release does not
    exist, so nothing is offered but going back; Verify shows what the watcher saw while helm waited."""
    session, _sc = sim
    session.wait_timeout = "8s"      # long enough to see the crash loop, short enough for CI
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await deployed(pilot, app)
        scr = app.screen
        run = app.state.run
        assert run.outcome.status == "deploy-failed" and run.outcome.release.status == "absent"
        assert scr.query_one("#failure-actions").display
        assert not scr.query_one("#rollback").display and not scr.query_one("#uninstall").display
        explanation = text_of(app, "#explanation")
        assert "CrashLoopBackOff" in explanation and "does not exist now" in explanation
        assert "pending" not in explanation
        assert "Back to values" in text_of(app, "#status")
        assert scr.check_action("next", ()) is None       # no verify of a deploy that failed
        await pilot.press("v")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify", 10)
        vs = app.screen
        failing = lambda: [c for c in vs.rows.values() if c.status == "fail" and "CrashLoopBackOff" in
                           " ".join([c.evidence, *c.details])]
        assert await wait_until(pilot, lambda: bool(failing()), 30), [(c.id, c.status) for c in vs.rows.values()]
        table = vs.query_one("#checks", DataTable)
        table.move_cursor(row=table.get_row_index(failing()[0].id))
        await pilot.pause(0.2)
        details = text_of(app, "#details-body")
        assert "CrashLoopBackOff" in details and "--release" not in details   # no command-line advice
        record = json.loads((run.outcome.record_dir / "record.json").read_text())
        assert record["status"] == "deploy-failed" and record["release_state"]["status"] == "absent"


@pytest.mark.parametrize("sim", ["epp-never-ready"], indirect=True)
async def test_cancel_asks_stops_helm_and_offers_what_the_release_state_allows(app_factory, sim):
    session, _sc = sim
    session.wait_timeout = "120s"
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await approve(pilot, app)
        run = app.state.run
        assert await wait_until(pilot, lambda: run.helm_running and run._last_release is not None, 60)
        await pilot.press("ctrl+q")              # quit asks while helm runs
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("x")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: app.screen.finished is not None, 60)
        out = run.outcome
        assert out.status == "cancelled" and out.helm.cancelled
        from gaie_tui.core.deploy.release import actions_for
        assert out.actions == actions_for(out.release)
        shown = {w for w in ("rollback", "uninstall", "refresh") if app.screen.query_one(f"#{w}").display}
        assert shown == set(out.actions)
        if out.release.status == "absent":
            assert "nothing to roll back" in text_of(app, "#explanation")
        else:
            assert out.release.status in text_of(app, "#explanation")
        if "uninstall" in out.actions:           # the action runs and is recorded in the same record
            app.screen.query_one("#uninstall").action_press()
            assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
            await pilot.press("y")
            assert await wait_until(pilot, lambda: run.outcome.release.status == "absent", 60)
            await pilot.pause(0.3)
            steps = json.loads((out.record_dir / "record.json").read_text())["steps"]
            assert any(s["phase"] == "uninstall" and s["status"] == "pass" for s in steps)


async def test_verify_updates_changed_cells_only_pauses_under_a_modal_and_shows_markup_as_text(app_factory, sim):
    """After the run, Verify keeps looking: an unchanged look touches no cell; an EPP image patched
    to hold Rich markup and escape sequences shows as text (no crash); a modal pauses the looks."""
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await deployed(pilot, app)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
        scr = app.screen
        run = app.state.run
        table = scr.query_one("#checks", DataTable)
        updates, added = [], []
        update, add = table.update_cell, table.add_row
        table.update_cell = lambda *a, **k: (updates.append(a[:2]), update(*a, **k))
        table.add_row = lambda *a, **k: (added.append(k.get("key")), add(*a, **k))
        looks = scr.refreshes
        await pilot.press("r")
        assert await wait_until(pilot, lambda: scr.refreshes > looks, 20)
        assert updates == [] and added == []
        from kubernetes import client, config
        api = client.AppsV1Api(config.new_client_from_config(str(sc.kubeconfig), context=sc.context))
        evil = "registry.example/[/nope]:x\x1b]52;c;aGk=\x07[link=https://evil]y[/link]"
        api.patch_namespaced_deployment(run.expected.epp, "llm-d",
                                        {"spec": {"template": {"spec": {"containers": [
                                            {"name": "epp", "image": evil}]}}}})
        looks = scr.refreshes
        await pilot.press("r")
        assert await wait_until(pilot, lambda: scr.refreshes > looks, 20)
        assert await wait_until(pilot, lambda: scr.rows["epp-image"].status == "fail", 30)
        assert app.is_running
        assert ("epp-image", "status") in updates
        assert added and all(key.startswith("drift-") and "image" in key for key in added), added
        table.move_cursor(row=table.get_row_index("epp-image"))
        await pilot.pause(0.2)
        details = text_of(app, "#details-body")
        assert "[/nope]" in details and "\x1b" not in details and "\\x1b" in details
        await pilot.press("f1")                  # a modal on top: the timer must not look
        await pilot.pause(0.1)
        await app.workers.wait_for_complete()    # a look that began before the modal may still land
        calls = scr.refreshes
        scr._tick()
        await pilot.pause(0.3)
        assert scr.refreshes == calls


@pytest.mark.parametrize("sim", ["label-drift"], indirect=True)
async def test_label_drift_is_said_on_setup_and_blocks_on_review(app_factory, sim):
    from gaie_tui.ui.widgets.action import ActionButton
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        matches = text_of(app, "#matches")
        assert "matches no pod" in matches and "carry llm-d.ai/inference-serving=true instead" in matches
        await to_review(pilot, app)
        assert "llm-d.ai/inference-serving" in text_of(app, "#preflight")
        assert app.screen.query_one("#approve", ActionButton).disabled
        assert "preflight" in text_of(app, "#approval")
