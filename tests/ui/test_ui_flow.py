"""Pilot tests: Setup → Values → Review behaviour, navigation, keymap, drafts, saving values."""
from __future__ import annotations

import json

import pytest
from textual.widgets import Input, OptionList
from uihelp import approve, setup_settled, text_of, to_review, to_values, wait_until

from gaie_tui.core.session import Session
from gaie_tui.ui.widgets.action import ActionButton
from gaie_tui.ui.widgets.choice import Choice

pytestmark = pytest.mark.xdist_group("ui-flow")


async def test_answers_flow_into_generated_values(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        scr = app.screen
        scr.query_one("#release", Input).value = "qwen-router"
        scr.query_one("#namespace", Input).value = "team-a"
        scr.query_one("#provider", Choice).value = "gke"
        scr.query_one("#zmq").value = False
        scr.query_one("#selector", Input).value = "app=vllm,tier=gpu"
        await to_values(pilot, app)
        text = app.state.values_text
        assert "Release qwen-router in namespace team-a; gateway provider gke" in text
        assert "name: gke" in text
        assert "5557" not in text
        assert "app: vllm" in text and "tier: gpu" in text
        assert app.screen.query_one("#editor").text == text


async def test_release_name_validated_as_you_type(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        rel = app.screen.query_one("#release", Input)
        rel.focus()
        rel.value = ""
        await pilot.press(*"Bad_Name")
        await pilot.pause(0.1)
        assert "lower-case" in text_of(app, "#release-problem")
        assert rel.has_class("invalid")
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert app.screen.STEP == "setup"  # not accepted


async def test_typo_in_editor_gives_diagnostic_on_that_line(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        lines = editor.text.splitlines()
        row = next(i for i, line in enumerate(lines) if line.strip().startswith("replicas:"))
        col = lines[row].index("replicas")
        editor.move_cursor((row, col + 7))
        await pilot.press("x")          # replicas -> replicaxs
        await pilot.pause(0.1)
        errs = [d for d in scr.all_diags() if d.severity == "error"]
        assert errs, "a typo must produce an error"
        assert any(d.line == row + 1 for d in errs), [(d.line, d.message) for d in errs]
        assert type(errs[0]).__name__ == "Diagnostic"      # core's own objects, no UI twin
        assert "✗ 1 error  " in text_of(app, "#status")
        plist = scr.query_one("#problems", OptionList)
        assert f"{row + 1}:" in str(plist.get_option_at_index(0).prompt)
        editor.move_cursor((0, 0))
        await pilot.press("f8")
        await pilot.pause(0.1)
        assert editor.cursor_location[0] == row
        assert "replicaxs" in text_of(app, "#explain-body")


async def test_offline_review_renders_but_blocks_approval_and_says_why(app_factory, offline, charts_env):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_review(pilot, app, ready=False)
        assert await wait_until(pilot, lambda: "OBJECTS helm template renders" in text_of(app, "#objects"), 60)
        assert "Deployment/gaie-inference-epp" in text_of(app, "#objects")
        assert "selects model-server pods labelled llm-d.ai/inferenceServing=true" in text_of(app, "#plan")
        approval = text_of(app, "#approval")
        assert "Approval blocked" in approval and "offline" in approval
        assert app.screen.query_one("#approve", ActionButton).disabled
        assert app.screen.check_action("approve", ()) is None          # the key is shown disabled
        assert "approval blocked: offline" in text_of(app, "#status")   # the bar says why, not "a approves"
        await pilot.press("a")
        await pilot.pause(0.2)
        assert app.screen.STEP == "review" and app.state.run.approved_by is None


async def test_approval_impossible_with_errors(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("inferenceExtenson:\n  replicas: 2\n", (editor.document.line_count, 0))
        await pilot.pause(0.1)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "review", 10)
        assert await wait_until(pilot, lambda: "PREFLIGHT" in text_of(app, "#preflight")
                                and "Values file" in text_of(app, "#preflight"), 60)
        assert app.screen.query_one("#approve", ActionButton).disabled
        assert "Approval blocked" in text_of(app, "#approval") and "error(s) in the values" in text_of(app, "#approval")
        assert "approval blocked" in text_of(app, "#status")
        await pilot.press("a")
        await pilot.pause(0.2)
        assert app.screen.STEP == "review" and app.approved_run() is None


async def test_review_shows_the_engines_plan_and_approval_asks(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_review(pilot, app)
        assert "Ready to approve" in text_of(app, "#approval")
        command = text_of(app, "#command")
        run = app.state.run
        # what the screen shows is what the engine will run
        assert " ".join(run.plan.shown_argv()) in command.replace("\n", " ")
        assert "--rollback-on-failure" in command and f"--kubeconfig {sc.kubeconfig}" in command
        assert "Deployment/gaie-inference-epp" in text_of(app, "#objects")
        assert "✓ Cluster reachable" in text_of(app, "#preflight")
        assert "The EPP reads secret(s): llm-d-hf-token (key HF_TOKEN)" in text_of(app, "#plan")
        assert "a approves" in text_of(app, "#status")
        await pilot.press("a")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("escape")  # not yet: nothing approved, nothing written
        await pilot.pause(0.2)
        assert app.approved_run() is None and not session.record_dir.exists()


async def test_production_namespace_needs_typed_release(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        app.screen.query_one("#namespace", Input).value = "llm-d-prod"
        await pilot.pause(0.2)
        await to_review(pilot, app)
        await pilot.press("a")
        await pilot.pause(0.2)
        dialog = app.screen
        assert type(dialog).__name__ == "Confirm" and dialog.typed == "gaie-inference"
        assert "will be created" in str(dialog.question)     # Setup said it does not exist yet
        assert dialog.query_one("#yes", ActionButton).disabled
        await pilot.press(*"gaie-inference")
        await pilot.pause(0.1)
        assert not dialog.query_one("#yes", ActionButton).disabled


async def test_ctrl_n_waits_for_the_cluster_probe_and_can_go_offline(app_factory, sim, monkeypatch):
    """Setup's answers settle before Values: ctrl+n before the probe answered waits for it with a
    spinner; `o` goes on offline instead."""
    import threading
    session, _sc = sim
    gate = threading.Event()
    connect = session.connect
    monkeypatch.setattr(session, "connect", lambda ctx: (gate.wait(20), connect(ctx))[1])
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        assert "checking with the cluster" in text_of(app, "#namespace-note")   # never "does not exist" yet
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "WaitForCluster", 5)
        await pilot.pause(0.3)
        assert app.screen.STEP if hasattr(app.screen, "STEP") else True
        gate.set()                                   # the cluster answers: Values opens by itself
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 30)
        assert "secretKeyRef" in app.state.values_text and "llm-d-hf-token" in app.state.values_text
    gate.clear()
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "WaitForCluster", 5)
        await pilot.press("o")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 30)
        assert app.state.offline
        gate.set()


async def test_help_lists_every_binding_and_command_line_jumps(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
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


async def test_keymap_file_remaps_bindings(app_factory, offline):
    from gaie_tui.core.paths import config_dir
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "keymap.toml").write_text('[keys]\n"setup.next" = "f10"\n')
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        await pilot.press("f10")
        assert await wait_until(pilot, lambda: app.screen.STEP == "values", 10)
        assert ("Setup", "F10", "Next: values", "setup.next") in app.binding_rows()


async def test_draft_saved_private_and_resumed(app_factory, offline):
    from gaie_tui.core.draft import draft_path, load_draft
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("# my precious edit\n", (0, 0))
        await pilot.pause(0.7)
    assert load_draft()["values"].startswith("# my precious edit")
    assert oct(draft_path().stat().st_mode & 0o777) == "0o600"
    assert oct(draft_path().parent.stat().st_mode & 0o777) == "0o700"
    app2 = app_factory(Session(offline=True), resume=None)
    async with app2.run_test(size=(100, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: type(app2.screen).__name__ == "Confirm", 10)
        await pilot.pause(0.2)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: getattr(app2.screen, "STEP", "") == "values", 10)
        assert app2.screen.query_one("#editor").text.startswith("# my precious edit")


async def test_values_file_opens_in_values(app_factory, offline, tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("# gaie-tui: chart=inferencepool@v1.2.0\ninferencePool:\n  modelServers:\n"
                 "    matchLabels:\n      app: vllm\ninferenceExtension:\n  image:\n    registry: x\n")
    app = app_factory(offline, values_path=str(f))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        assert app.screen.STEP == "values"
        assert app.screen.chart.version == "v1.2.0"
        # v1.2.0 has hub/name, not registry: the checker says so on line 8
        assert any(d.line == 8 for d in app.screen.all_diags())


async def test_values_with_markup_in_keys_open_and_resume_without_crashing(app_factory, offline, tmp_path):
    """A values key "[/oops]" (Rich markup) is text, on open and when its draft is resumed."""
    f = tmp_path / "markup.yaml"
    f.write_text('"[/oops]": 1\n"[bold]x[/bold]": "[link=https://evil]y[/link]"\ninferencePool:\n'
                 '  modelServers:\n    matchLabels:\n      app: vllm\n')
    app = app_factory(offline, values_path=str(f))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.5)
        assert app.is_running and app.screen.STEP == "values"
        app.screen.query_one("#editor").move_cursor((0, 2))
        await pilot.pause(0.2)
        assert "[/oops]" in text_of(app, "#explain-body")
        app.screen.query_one("#editor").insert("# edited\n", (0, 0))
        await pilot.pause(0.7)
    app2 = app_factory(Session(offline=True), resume=True)
    async with app2.run_test(size=(100, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: getattr(app2.screen, "STEP", "") == "values", 10)
        await pilot.pause(0.3)
        assert app2.is_running and "[/oops]" in app2.screen.query_one("#editor").text


async def test_edited_values_are_not_replaced_without_asking(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.insert("# hand edit\n", (0, 0))
        await pilot.pause(0.1)
        await pilot.press("escape", "escape")   # leave the editor, then back to Setup
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"
        app.screen.query_one("#release", Input).value = "other-name"
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 10)
        await pilot.press("n")                   # keep my edits
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 10)
        assert app.screen.query_one("#editor").text.startswith("# hand edit")


async def test_ctrl_s_asks_where_first_and_never_replaces_a_file_unasked(app_factory, offline, tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    precious = tmp_path / "values.yaml"
    precious.write_text("# someone else's file\n")
    app = app_factory(offline)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        await pilot.press("ctrl+s")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "AskPath", 5)
        assert app.screen.query_one("#path", Input).value == "values.yaml"     # the suggestion
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
        assert "was not opened here" in str(app.screen.question)
        await pilot.press("n")                   # keep it
        await pilot.pause(0.2)
        assert precious.read_text() == "# someone else's file\n"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AskPath", 5)
        path = app.screen.query_one("#path", Input)
        path.value = "mine.yaml"
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: (tmp_path / "mine.yaml").is_file(), 5)
        assert (tmp_path / "mine.yaml").read_text() == app.screen.query_one("#editor").text
        app.screen.query_one("#editor").insert("# more\n", (0, 0))
        await pilot.press("ctrl+s")              # the file written here: no question any more
        assert await wait_until(pilot, lambda: (tmp_path / "mine.yaml").read_text().startswith("# more"), 5)


async def test_unexpected_error_is_a_notification_with_log_path(app_factory, offline, monkeypatch):
    from gaie_tui.core.errorlog import log_path
    app = app_factory(offline)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_values(pilot, app)
        monkeypatch.setattr(type(app.screen), "_check", lambda *a: 1 / 0)
        await pilot.press("x")
        await pilot.pause(0.2)
        msgs = [n.message for n in app._notifications]
        assert any("division by zero" in m and str(log_path()) in m for m in msgs), msgs
        assert app.is_running and app.screen.STEP == "values"
    assert "ZeroDivisionError" in log_path().read_text()
    assert oct(log_path().stat().st_mode & 0o777) == "0o600"


def test_no_color_and_no_mouse_run(app_factory, monkeypatch):
    """NO_COLOR: the app still renders (Textual's monochrome filter), marks are glyphs not colours."""
    import asyncio
    monkeypatch.setenv("NO_COLOR", "1")

    async def go():
        app = app_factory(Session(offline=True))
        async with app.run_test(size=(80, 24), notifications=False) as pilot:
            await to_values(pilot, app)
            editor = app.screen.query_one("#editor")
            editor.insert("bogusKey: 1\n", (editor.document.line_count, 0))
            await pilot.pause(0.1)
            assert "✗ 1 error  " in text_of(app, "#status")
            plist = app.screen.query_one("#problems", OptionList)
            prompts = [str(plist.get_option_at_index(i).prompt) for i in range(plist.option_count)]
            assert any(p.startswith("E ") for p in prompts), prompts   # a letter, not only a colour
    asyncio.run(go())


async def test_command_line_sets_namespace_and_loads_deployed_values(app_factory, sim, tmp_path):
    """`:deployed` loads the values of the release deployed in the cluster (helm get values)."""
    from gaie_tui.core.deploy.engine import DeployEngine
    from gaie_tui.core.values.generate import Answers, generate
    session, sc = sim
    chart = session.chart("inferencepool@v1.5.0")
    values = generate(chart, Answers(hf_secret="llm-d-hf-token")).text.replace("replicas: 1", "replicas: 1  # live")
    plan = session.plan(chart, values, release="gaie-inference", namespace="llm-d")
    assert DeployEngine(plan, chart=chart, record_parent=tmp_path / "r", approved_by="--yes",
                        verify_wait=5).run().status in ("verified", "verify-failed")
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        # the cluster holds a release now: the Releases screen comes first, n is a new deploy
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "ReleasesScreen", 30)
        await pilot.pause(0.3)
        await pilot.press("n")
        await setup_settled(pilot, app)
        app.run_command("ns team-b")
        await pilot.pause(0.2)
        assert app.screen.query_one("#namespace", Input).value == "team-b"
        app.run_command("ns llm-d")
        await pilot.pause(0.2)
        await to_values(pilot, app)
        app.run_command(":deployed")
        assert await wait_until(pilot, lambda: "Values of the deployed release" in app.screen.query_one("#editor").text)
        assert "replicas: 1" in app.screen.query_one("#editor").text


async def test_toggles_read_without_colour(app_factory, offline):
    """The zmq and monitoring toggles say on/off with a glyph ([x] / [ ]), not by colour alone."""
    from gaie_tui.ui.widgets.tick import Tick
    app = app_factory(offline)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await pilot.pause(0.2)
        zmq = app.screen.query_one("#zmq", Tick)
        mon = app.screen.query_one("#monitoring", Tick)
        assert str(zmq.render()).startswith("[x]") and str(mon.render()).startswith("[ ]")
        mon.focus()
        await pilot.press("space")
        await pilot.pause(0.05)
        assert mon.value and str(mon.render()).startswith("[x]")


async def test_approving_creates_the_record_and_the_draft_names_it(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await approve(pilot, app)
        assert await wait_until(pilot, lambda: app.state.run.record is not None, 20)
        folder = app.state.run.record.path
        assert (folder / "record.json").is_file() and oct(folder.stat().st_mode & 0o777) == "0o700"
        from gaie_tui.core.draft import load_draft
        assert await wait_until(pilot, lambda: (load_draft() or {}).get("deploy"), 10)
        assert load_draft()["deploy"]["record"] == str(folder)
        assert await wait_until(pilot, lambda: app.screen.finished is not None, 90)
        data = json.loads((folder / "record.json").read_text())
        assert data["approved_by"] == "in the wizard"


async def test_without_an_archive_deep_check_is_skipped_and_review_names_the_registry(app_factory, offline,
                                                                                     monkeypatch):
    """No chart archive here and the registry unreachable (tests point it at a closed port): Values
    says the deep check was skipped and why — never `deep ✓` — and Review explains the failed render
    as the registry, never as the Kubernetes API."""
    from gaie_tui.ui.screens import values as values_screen
    monkeypatch.delenv("GAIE_TUI_CHART_DIRS", raising=False)
    monkeypatch.setattr(values_screen, "DEEP_DELAY", 0.1)
    app = app_factory(offline)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await setup_settled(pilot, app)
        assert await wait_until(pilot, lambda: "no chart archive here" in text_of(app, "#archive-note"), 20)
        await to_values(pilot, app)
        assert await wait_until(pilot, lambda: "deep skipped" in text_of(app, "#status"), 30), text_of(app, "#status")
        assert "deep ✓" not in text_of(app, "#status")
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "review", 10)
        assert await wait_until(pilot, lambda: "not rendered" in text_of(app, "#objects"), 60), text_of(app, "#objects")
        objects = text_of(app, "#objects")
        assert "chart registry 127.0.0.1:9" in objects and "Kubernetes" not in objects
        assert "GAIE_TUI_CHART_DIRS" in objects


def test_values_folder_is_said_to_be_a_folder(tmp_path, capsys):
    from gaie_tui.cli import main
    assert main(["--values", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"values file {tmp_path} is a folder" in err and "does not exist" not in err


@pytest.mark.parametrize("sim", ["epp-never-ready"], indirect=True)
async def test_a_crash_during_a_deploy_stops_helm_and_the_record_says_so(app_factory, sim):
    session, _sc = sim
    session.wait_timeout = "120s"
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await approve(pilot, app)
        run = app.state.run
        assert await wait_until(pilot, lambda: run.helm_running, 60)
        app._handle_exception(RuntimeError("boom in a handler"))
        await pilot.pause(0.5)
    out = run.outcome
    assert out.status == "crashed" and "boom in a handler" in out.reason and out.helm.cancelled
    data = json.loads((out.record_dir / "record.json").read_text())
    assert data["status"] == "crashed" and data["ended"]
    assert "NOT FINISHED" in (out.record_dir / "record.md").read_text()
