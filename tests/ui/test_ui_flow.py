"""Pilot tests: Setup → Values → Review behaviour, navigation, keymap, drafts."""
from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from gaie_tui.ui.services import Services
from gaie_tui.ui.widgets.action import ActionButton
from gaie_tui.ui.widgets.choice import Choice

pytestmark = pytest.mark.xdist_group("ui-flow")


def _text(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def _to_values(pilot, app):
    await pilot.pause(0.2)
    await pilot.press("ctrl+n")
    await pilot.pause(0.3)
    assert app.screen.STEP == "values"


async def test_answers_flow_into_generated_values(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.2)
        scr = app.screen
        scr.query_one("#release", Input).value = "qwen-router"
        scr.query_one("#namespace", Input).value = "team-a"
        scr.query_one("#provider", Choice).value = "gke"
        scr.query_one("#zmq").value = False
        scr.query_one("#selector", Input).value = "app=vllm,tier=gpu"
        await _to_values(pilot, app)
        text = app.state.values_text
        assert "Release qwen-router in namespace team-a; gateway provider gke" in text
        assert "name: gke" in text
        assert "5557" not in text
        assert "app: vllm" in text and "tier: gpu" in text
        assert app.screen.query_one("#editor").text == text


async def test_release_name_validated_as_you_type(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.2)
        rel = app.screen.query_one("#release", Input)
        rel.focus()
        rel.value = ""
        await pilot.press(*"Bad_Name")
        await pilot.pause(0.1)
        assert "lower-case" in _text(app, "#release-problem")
        assert rel.has_class("invalid")
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert app.screen.STEP == "setup"  # not accepted


async def test_typo_in_editor_gives_diagnostic_on_that_line(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        lines = editor.text.splitlines()
        row = next(i for i, l in enumerate(lines) if l.strip().startswith("replicas:"))
        col = lines[row].index("replicas")
        editor.move_cursor((row, col + 7))
        await pilot.press("x")          # replicas -> replicaxs
        await pilot.pause(0.1)
        errs = [d for d in scr.all_diags() if d.severity == "error"]
        assert errs, "a typo must produce an error"
        assert any(d.line == row + 1 for d in errs), [(d.line, d.message) for d in errs]
        assert "✗ 1 errors" in _text(app, "#status") or "errors" in _text(app, "#status")
        # the problems list names the line; enter on it jumps there
        plist = scr.query_one("#problems", OptionList)
        assert f"{row + 1}:" in str(plist.get_option_at_index(0).prompt)
        editor.move_cursor((0, 0))
        await pilot.press("f8")
        await pilot.pause(0.1)
        assert editor.cursor_location[0] == row
        # the explanation panel speaks about the key under the cursor
        assert "replicaxs" in _text(app, "#explain-body")


async def test_approval_impossible_with_errors(app_factory, fake):
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("inferenceExtenson:\n  replicas: 2\n", (editor.document.line_count, 0))
        await pilot.pause(0.1)
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        assert app.screen.STEP == "review"
        assert app.screen.query_one("#approve", ActionButton).disabled
        assert "Approval blocked" in _text(app, "#approval")
        await pilot.press("a")
        await pilot.pause(0.2)
        assert app.screen.STEP == "review"  # no confirmation dialog opened
        assert app.state.plan is None


async def test_clean_values_approve_with_confirmation(app_factory, fake):
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        await _to_values(pilot, app)
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        assert not app.screen.query_one("#approve", ActionButton).disabled, _text(app, "#approval")
        assert "helm upgrade --install gaie-inference" in _text(app, "#command")
        assert "--version v1.5.0" in _text(app, "#command")
        assert "Deployment/gaie-inference-epp" in _text(app, "#objects")
        await pilot.press("a")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("escape")  # cancel: nothing deployed
        await pilot.pause(0.2)
        assert app.state.plan is None


async def test_production_namespace_needs_typed_release(app_factory, fake):
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        app.screen.query_one("#namespace", Input).value = "llm-d-prod"
        await _to_values(pilot, app)
        await pilot.press("ctrl+n")
        await pilot.pause(0.4)
        await pilot.press("a")
        await pilot.pause(0.2)
        dialog = app.screen
        assert type(dialog).__name__ == "Confirm" and dialog.typed == "gaie-inference"
        assert dialog.query_one("#yes", ActionButton).disabled
        await pilot.press(*"gaie-inference")
        await pilot.pause(0.1)
        assert not dialog.query_one("#yes", ActionButton).disabled


async def test_help_lists_every_binding_and_command_line_jumps(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _to_values(pilot, app)
        rows = app.binding_rows()
        ids = {r[3] for r in rows}
        assert {"app.quit", "app.help", "values.next_problem", "review.approve", "deploy.cancel",
                "verify.refresh", "record.copy"} <= ids
        assert all(r[3] for r in rows), "every binding has an id"
        await pilot.press("f1")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause(0.2)
        app.screen.query_one("#problems").focus()
        await pilot.press("colon")
        await pilot.pause(0.2)
        await pilot.press(*"setup", "enter")
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"


async def test_keymap_file_remaps_bindings(app_factory, tmp_path):
    from gaie_tui.core.paths import config_dir
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "keymap.toml").write_text('[keys]\n"setup.next" = "f10"\n')
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.2)
        await pilot.press("f10")
        await pilot.pause(0.3)
        assert app.screen.STEP == "values"
        assert ("Setup", "f10", "Next: values", "setup.next") in app.binding_rows()


async def test_draft_saved_and_resumed(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("# my precious edit\n", (0, 0))
        await pilot.pause(0.7)
    from gaie_tui.ui.state import load_draft
    assert load_draft()["values"].startswith("# my precious edit")
    app2 = app_factory(Services(offline=True), resume=None)
    async with app2.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        assert type(app2.screen).__name__ == "Confirm"
        await pilot.click("#yes")
        await pilot.pause(0.3)
        assert app2.screen.STEP == "values"
        assert app2.screen.query_one("#editor").text.startswith("# my precious edit")


async def test_values_file_opens_in_values(app_factory, tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("# gaie-tui: chart=inferencepool@v1.2.0\ninferencePool:\n  modelServers:\n"
                 "    matchLabels:\n      app: vllm\ninferenceExtension:\n  image:\n    registry: x\n")
    app = app_factory(Services(offline=True), values_path=str(f))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        assert app.screen.STEP == "values"
        assert app.screen.chart.version == "v1.2.0"
        # v1.2.0 has hub/name, not registry: the checker says so on line 8
        assert any(d.line == 8 for d in app.screen.all_diags())


async def test_edited_values_are_not_replaced_without_asking(app_factory):
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await _to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("# hand edit\n", (0, 0))
        await pilot.pause(0.1)
        await pilot.press("escape", "escape")   # leave the editor, then back to Setup
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"
        app.screen.query_one("#release", Input).value = "other-name"
        await pilot.press("ctrl+n")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")                   # keep my edits
        await pilot.pause(0.4)
        assert app.screen.STEP == "values"
        assert app.screen.query_one("#editor").text.startswith("# hand edit")


async def test_unexpected_error_is_a_notification_with_log_path(app_factory, monkeypatch):
    from gaie_tui.ui.app import log_path
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(100, 40)) as pilot:
        await _to_values(pilot, app)
        monkeypatch.setattr(app.services, "check", lambda *a: 1 / 0)
        await pilot.press("x")
        await pilot.pause(0.2)
        msgs = [n.message for n in app._notifications]
        assert any("division by zero" in m and str(log_path()) in m for m in msgs), msgs
        assert app.is_running and app.screen.STEP == "values"
    assert "ZeroDivisionError" in log_path().read_text()


def test_no_color_and_no_mouse_run(app_factory, monkeypatch):
    """NO_COLOR: the app still renders (Textual's monochrome filter), marks are glyphs not colours."""
    import asyncio
    monkeypatch.setenv("NO_COLOR", "1")

    async def go():
        app = app_factory(Services(offline=True))
        async with app.run_test(size=(80, 24), notifications=False) as pilot:
            await _to_values(pilot, app)
            editor = app.screen.query_one("#editor")
            editor.insert("bogusKey: 1\n", (editor.document.line_count, 0))
            await pilot.pause(0.1)
            assert "✗ 1 errors" in str(app.screen.query_one("#status").content)
            plist = app.screen.query_one("#problems", OptionList)
            prompts = [str(plist.get_option_at_index(i).prompt) for i in range(plist.option_count)]
            assert any(p.startswith("E ") for p in prompts), prompts   # a letter, not only a colour
    asyncio.run(go())


async def test_command_line_sets_namespace_and_loads_deployed_values(app_factory, fake):
    fake.deployed_values = lambda r, n: "inferencePool:\n  modelServers:\n    matchLabels:\n      app: old\n"
    app = app_factory(fake)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        app.run_command("ns team-b")
        await pilot.pause(0.2)
        assert app.screen.query_one("#namespace", Input).value == "team-b"
        await _to_values(pilot, app)
        app.run_command(":deployed")
        await pilot.pause(0.5)
        assert "app: old" in app.screen.query_one("#editor").text


async def test_toggles_read_without_colour(app_factory):
    """The zmq and monitoring toggles say on/off with a glyph ([x] / [ ]), not by colour alone."""
    from gaie_tui.ui.widgets.tick import Tick
    app = app_factory(Services(offline=True))
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await pilot.pause(0.2)
        zmq = app.screen.query_one("#zmq", Tick)
        mon = app.screen.query_one("#monitoring", Tick)
        assert str(zmq.render()).startswith("[x]") and str(mon.render()).startswith("[ ]")
        mon.focus()
        await pilot.press("space")
        await pilot.pause(0.05)
        assert mon.value and str(mon.render()).startswith("[x]")
