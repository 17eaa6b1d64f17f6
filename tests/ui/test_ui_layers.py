"""Issue 14, the wizard's half: `gaie-tui --values base.yaml --values overlay.yaml` opens a layered
set — every layer editable (F4), the others named in the layer bar, each finding with its file,
a jump to a finding in another layer switches the editor to it, the key under the cursor says
which layer sets the value helm uses — and the plan, the checks and the draft take every layer.
Values written for another chart are offered a migration; accepting it loads the migrated text
and keeps the result for Review (`WizardState.migration`). Issue 13 #3: a draft is offered only
when there is something to resume, and says whose it is."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import OptionList
from uihelp import line_of, text_of, wait_until

from gaie_tui.core.session import Session

pytestmark = pytest.mark.xdist_group("ui-layers")
TOKEN = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"

BASE = """# gaie-tui: chart=inferencepool@v1.5.0
inferenceExtension:
  replicas: 1
  image:
    registry: ghcr.io/llm-d
    repository: llm-d-inference-scheduler
    tag: v0.8.0
  flags:
    v: 1
inferencePool:
  modelServers:
    matchLabels:
      llm-d.ai/inferenceServing: "true"
  targetPorts:
    - number: 8000
provider:
  name: none
"""
OVERLAY = """inferenceExtension:
  replicas: 3
  replicaz: 2
"""


def _files(tmp_path: Path) -> list[str]:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "overlay.yaml").write_text(OVERLAY)
    return [str(tmp_path / "base.yaml"), str(tmp_path / "overlay.yaml")]


async def _opened(pilot, app) -> None:
    assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 10)
    await pilot.pause(0.3)


async def test_a_layered_set_is_edited_layer_by_layer_and_checked_merged(app_factory, offline, charts_env, tmp_path):
    files = _files(tmp_path)
    app = app_factory(offline, values_path=files)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await _opened(pilot, app)
        scr, st = app.screen, app.state
        editor = scr.query_one("#editor")
        assert st.layered and st.current == 1 and editor.text == OVERLAY      # the overlay in the editor
        bar = text_of(app, "#layers")
        assert "1 base.yaml" in bar and "2 overlay.yaml" in bar
        assert "layer 2 of 2" in text_of(app, "#status")
        # findings name their file; the merged set is what is checked
        diags = scr.all_diags()
        unknown = next(d for d in diags if d.code == "unknown-key")
        assert unknown.file == files[1] and unknown.line == 3
        overridden = next(d for d in diags if d.code == "overridden")
        assert overridden.file == files[0] and overridden.line == 3
        rows = [str(o.prompt) for o in scr.query_one("#problems", OptionList)._options]
        assert any("overlay.yaml:3:" in r and "replicaz" in r for r in rows)
        assert any("base.yaml:3:" in r and "overridden" in r for r in rows)
        # the key under the cursor: which layer sets the value helm uses
        editor.move_cursor((1, 4))
        await pilot.pause(0.2)
        assert "inferenceExtension.replicas ← overlay.yaml:2" in text_of(app, "#layers")
        assert "set here (overlay.yaml:2)" in text_of(app, "#explain-body")
        assert "overrides base.yaml:3" in text_of(app, "#explain-body")
        # F4: the base in the editor; its replicas never reaches the chart
        await pilot.press("f4")
        await pilot.pause(0.2)
        assert st.current == 0 and editor.text == BASE
        editor.move_cursor((2, 4))
        await pilot.pause(0.2)
        body = text_of(app, "#explain-body")
        assert "helm uses the value from overlay.yaml:2" in body and "never reaches the chart" in body
        # a finding in the other layer: the editor switches to it
        plist = scr.query_one("#problems", OptionList)
        plist.focus()
        index = scr.all_diags().index(unknown)
        plist.highlighted = index
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert st.current == 1 and editor.text == OVERLAY and editor.cursor_location[0] == 2
        # an edit in one layer is checked merged with the other
        editor.move_cursor((2, 0))
        editor.insert("  # fixed\n")
        await pilot.pause(0.2)
        editor.load_text(OVERLAY.replace("  replicaz: 2\n", ""))
        await pilot.pause(0.3)
        assert not any(d.code == "unknown-key" for d in scr.all_diags())
        # Review: the plan passes every layer, in order
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "review", 10)
        assert await wait_until(pilot, lambda: st.run is not None, 10)
        layers = st.run.plan.values
        assert [layer.name for layer in layers] == [files[0], "the wizard's editor (edited from " + files[1] + ")"]
        assert layers[0].text == BASE and "replicas: 3" in layers[1].text
        assert "--values" not in " ".join(st.run.plan.shown_argv())
        assert st.run.plan.shown_argv().count("-f") == 2


async def test_a_draft_keeps_every_layer_redacted_and_resumes_the_set(app_factory, offline, tmp_path):
    from gaie_tui.core.draft import draft_path
    files = _files(tmp_path)
    app = app_factory(offline, values_path=files)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await _opened(pilot, app)
        await pilot.press("f4")                       # the base
        await pilot.pause(0.1)
        editor = app.screen.query_one("#editor")
        editor.insert(f"# token: {TOKEN}\n", (0, 0))
        await pilot.pause(0.8)
    data = json.loads(draft_path().read_text())
    assert [x["file"] for x in data["layers"]] == files and data["current"] == 0
    assert TOKEN not in draft_path().read_text() and "[REDACTED]" in data["layers"][0]["text"]
    assert data["layers"][1]["text"] == OVERLAY
    app2 = app_factory(Session(offline=True), values_path=files, resume=None)
    async with app2.run_test(size=(120, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: type(app2.screen).__name__ == "Confirm", 10)
        question = app2.screen.question
        assert "base.yaml + overlay.yaml" in question and "release" in question
        await pilot.press("y")
        assert await wait_until(pilot, lambda: getattr(app2.screen, "STEP", "") == "values", 10)
        st = app2.state
        assert st.layered and st.current == 0 and st.layers[0].text.startswith("# token: [REDACTED]")
        assert st.layers[1].text == OVERLAY


async def test_a_draft_of_another_file_is_not_offered_with_values(app_factory, offline, tmp_path):
    from gaie_tui.core.draft import load_draft, save_draft
    (tmp_path / "other.yaml").write_text("a: 1\n")
    save_draft("a: 2\n", chart_ref=None, values_file=str(tmp_path / "other.yaml"), answers={})
    (tmp_path / "mine.yaml").write_text(BASE)
    app = app_factory(offline, values_path=str(tmp_path / "mine.yaml"), resume=None)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await _opened(pilot, app)
        await pilot.pause(0.5)
        assert app.screen.STEP == "values" and type(app.screen).__name__ != "Confirm"
        said = " ".join(str(n.message) for n in app._notifications)
        assert "other.yaml" in said and "without --values" in said
    assert load_draft() is not None          # not thrown away: it is another file's


async def test_a_draft_the_file_already_holds_is_not_offered(app_factory, offline, tmp_path):
    from gaie_tui.core.draft import load_draft, save_draft
    (tmp_path / "mine.yaml").write_text(BASE)
    save_draft(BASE, chart_ref=None, values_file=str(tmp_path / "mine.yaml"), answers={})
    app = app_factory(offline, resume=None)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await pilot.pause(1.0)
        assert getattr(app.screen, "STEP", "") == "setup"       # nothing to resume: no question
    assert load_draft() is None


async def test_a_draft_says_which_file_and_release_it_belongs_to(app_factory, offline, tmp_path):
    from gaie_tui.core.draft import save_draft
    (tmp_path / "mine.yaml").write_text(BASE)
    save_draft(BASE + "# edited\n", chart_ref=None, values_file=str(tmp_path / "mine.yaml"),
               answers={"release": "team-a", "namespace": "llm-d"})
    app = app_factory(offline, resume=None)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 10)
        assert "mine.yaml (release team-a in llm-d)" in app.screen.question


OLD = """# gaie-tui: chart=inferencepool@v1.4.0
inferenceExtension:
  replicas: 1
  image:
    hub: ghcr.io/llm-d
    name: llm-d-inference-scheduler
    tag: v0.7.1
inferencePool:
  modelServers:
    matchLabels:
      llm-d.ai/inferenceServing: "true"
provider:
  name: none
"""


@pytest.mark.parametrize("accept", [True, False])
async def test_values_for_an_earlier_chart_are_offered_a_proven_migration(app_factory, charts_env, tmp_path, accept):
    (tmp_path / "old.yaml").write_text(OLD)
    from gaie_tui.ui.state import WizardState
    state = WizardState(chart_ref="inferencepool@v1.5.0")          # as --chart inferencepool@v1.5.0 sets it
    app = app_factory(Session(offline=True, upstream_offline=True), state=state, values_path=str(tmp_path / "old.yaml"))
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 20)
        assert "written for inferencepool v1.4.0" in app.screen.question
        assert "inferencepool v1.5.0" in app.screen.question
        await pilot.press("y")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "MigrationResult", 60)
        result = app.screen.result
        shown = "\n".join(app.screen.lines())
        assert "moved  inferenceExtension.image.hub → inferenceExtension.image.registry" in shown
        assert "PROOF:" in shown and "nothing is lost" in shown and result.proof.ok
        await pilot.press("y" if accept else "n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 10)
        await pilot.pause(0.3)
        text = app.screen.query_one("#editor").text
        if accept:
            assert app.state.migration is result and app.state.chart_ref == "inferencepool@v1.5.0"
            assert "registry: ghcr.io/llm-d" in text and "hub:" not in text.split("# gaie-tui migrate")[0]
            assert text.startswith("# gaie-tui: chart=inferencepool@v1.5.0")
            assert not any(d.code == "ignored-image-key" for d in app.screen.all_diags())
            assert line_of(app.screen.query_one("#editor"), "registry:") > 0
        else:
            assert app.state.migration is None and text == OLD


def test_values_is_repeatable_on_the_command_line(tmp_path, capsys):
    from gaie_tui.cli import build_parser, main
    args = build_parser(None).parse_args(["--values", "a.yaml", "--values", "b.yaml"])
    assert args.values == ["a.yaml", "b.yaml"]
    (tmp_path / "a.yaml").write_text("a: 1\n")
    assert main(["--values", str(tmp_path / "a.yaml"), "--values", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"values file {tmp_path / 'nope.yaml'} does not exist" in err
