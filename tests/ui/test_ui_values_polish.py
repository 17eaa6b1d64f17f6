"""Issue 13, the Values screen tried as a new user would: the explanation at 80×24 (a strip under
the editor, F2 opens it, the finding first, key paths never cut inside a key, the type of the key
itself), the problems list reflowing when the terminal grows, YAML auto-indent on Enter, tabs
shown and fixed with one key, help keys written as people write them, the command palette with
this screen's commands first, and notifications that never cover the status line or the key bar."""
from __future__ import annotations

import pytest
from textual.widgets import OptionList
from uihelp import line_of, screen_text, text_of, to_values, wait_until

from gaie_tui.ui.screens.values import wrap_path

pytestmark = pytest.mark.xdist_group("ui-values-polish")


def test_key_paths_break_only_between_keys():
    path = "provider.istio.destinationRule.trafficPolicy.connectionPool.http.http1MaxPendingRequests"
    lines = wrap_path(path, 30)
    assert "".join(line.strip() for line in lines) == path and len(lines) > 2
    keys = set(path.split("."))
    for line in lines:
        assert len(line) <= 30
        assert all(part in keys for part in line.strip().strip(".").split(".")), line
    assert wrap_path("inferenceExtension.env[0].valueFrom", 20) == ["inferenceExtension", "  .env[0].valueFrom"]


async def test_at_80x24_the_explanation_is_a_strip_and_f2_opens_it_with_the_finding_first(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        assert not scr.query_one("#explain").display and scr.query_one("#explain-strip").display
        assert editor.size.width >= 76          # the editor has the width; comments are not cut at 40 columns
        row = line_of(editor, "replicas:")
        editor.move_cursor((row, 3))
        await pilot.press("x")                  # replicas -> rxeplicas: an unknown key
        await pilot.pause(0.3)
        strip = text_of(app, "#explain-strip")
        assert strip.startswith("E ") and "rxeplicas" in strip and "F2" in strip
        await pilot.press("f2")
        await pilot.pause(0.2)
        assert scr.query_one("#explain").display and not scr.query_one("#explain-strip").display
        body = text_of(app, "#explain-body").splitlines()
        assert body[0].startswith("E ERROR [unknown-key]")     # the finding above the fold, then the key
        shown = screen_text(app)
        assert "ERROR [unknown-key]" in shown
        await pilot.press("f2")
        await pilot.pause(0.2)
        assert not scr.query_one("#explain").display


async def test_the_panel_names_the_type_of_a_nested_key_itself_and_never_cuts_a_key(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(110, 40), notifications=False) as pilot:
        await to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        assert scr.query_one("#explain").display                  # 110 columns: beside the editor
        editor.load_text(editor.text.replace("inferencePool:", "  env:\n    - name: HF_TOKEN\n      valueFrom:\n"
                                             "        secretKeyRef:\n          name: hf\n          key: HF_TOKEN\n"
                                             "inferencePool:", 1))
        await pilot.pause(0.2)
        row = line_of(editor, "secretKeyRef:")
        editor.move_cursor((row, editor.document.get_line(row).index("secretKeyRef") + 2))
        await pilot.pause(0.2)
        body = text_of(app, "#explain-body")
        assert "type: object" in body and "type: array" not in body
        assert "inside inferenceExtension.env" in body
        row = line_of(editor, "http1MaxPendingRequests:")
        editor.move_cursor((row, editor.document.get_line(row).index("http1") + 1))
        await pilot.pause(0.2)
        shown = screen_text(app)
        for key in ("destinationRule", "trafficPolicy", "connectionPool", "http1MaxPendingRequests"):
            assert key in shown                   # whole, even where the path is wrapped
        width = scr.query_one("#explain").content_size.width
        path_lines = text_of(app, "#explain-body").splitlines()[:3]
        assert all(len(line) <= width for line in path_lines)


async def test_the_problems_list_reflows_when_the_terminal_grows(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        # a misspelled key: its finding is longer than the narrow list is wide
        editor.load_text(editor.text.replace("inferenceExtension:\n", "inferenceExtension:\n  endpointPickerExtProcPortNumber: 9002\n", 1))
        await pilot.pause(0.3)
        plist = app.screen.query_one("#problems", OptionList)
        assert await wait_until(pilot, lambda: "endpointPicker" in str(plist.get_option_at_index(0).prompt), 10)

        def first_row() -> str:
            region = plist.content_region
            return screen_text(app).splitlines()[region.y][region.x:region.right].rstrip()
        narrow = first_row()
        assert narrow.endswith("…")
        await pilot.resize_terminal(160, 40)
        await pilot.pause(0.3)
        wide = first_row()
        assert len(wide) > len(narrow) and not wide.endswith("…") and wide.startswith(narrow[:-1])
        assert wide.endswith("helm silently ignores it")   # the whole finding, once there is room


@pytest.mark.parametrize("line, cursor_at_end, want", [
    ("  image:", True, "    "),                     # a key that opens a block: one level more
    ("    tag: v1", True, "    "),                  # a value: the same indentation
    ("  env:", True, "    "),
    ("    - name: HF_TOKEN", True, "      "),       # a list item: under its key
    ("    - name:", True, "        "),              # … one more when that key opens a block
    ("  # a comment:", True, "  "),                 # a comment opens nothing
    ("  script: |", True, "    "),                  # a block scalar
    ("  url: http://x:80", True, "  "),
])
async def test_enter_keeps_the_yaml_indentation(app_factory, offline, line, cursor_at_end, want):
    app = app_factory(offline)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        editor.load_text(f"top:\n{line}\n")
        editor.move_cursor((1, len(line)))
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert editor.text.splitlines()[2] == want
        assert editor.cursor_location == (2, len(want))


async def test_tabs_are_shown_and_one_key_turns_them_into_spaces(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        editor.load_text("inferenceExtension:\n\treplicas: 1\ninferencePool:\n  modelServers:\n"
                         "    matchLabels:\n      app: vllm\n")
        await pilot.pause(0.3)
        assert any(d.code == "yaml-tab" for d in scr.all_diags())
        shown = screen_text(app)
        assert "→ replicas: 1" in shown          # the tab is visible, in the cells it takes
        editor.move_cursor((1, 3))
        await pilot.pause(0.1)
        assert "ctrl+t" in text_of(app, "#explain-body")
        await pilot.press("ctrl+t")
        await pilot.pause(0.3)
        assert "\t" not in editor.text and editor.text.splitlines()[1] == "  replicas: 1"
        assert not any(d.code == "yaml-tab" for d in scr.all_diags())
        assert "→" not in screen_text(app).split("\n")[editor.region.y + 1]


async def test_help_writes_keys_as_people_do(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await pilot.pause(0.3)
        rows = app.binding_rows()
        assert ("everywhere", "F1, ?", "Help", "app.help") in rows
        assert not any("question_mark" in keys or "colon" in keys for _, keys, _, _ in rows)
        await pilot.press("f1")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen", 5)
        shown = screen_text(app)
        assert "F1, ?" in shown and "shift+F8" in shown and "question_mark" not in shown


async def test_the_palette_lists_this_screens_commands_first_and_no_generic_ones(app_factory, offline):
    from textual.command import CommandList
    app = app_factory(offline)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await to_values(pilot, app)
        await pilot.press("ctrl+p")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", 5)
        await pilot.pause(0.5)
        commands = app.screen.query_one(CommandList)
        titles = [str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)]
        assert titles and titles[0].startswith("Values:")
        first_step = next(i for i, t in enumerate(titles) if t.startswith("Go to"))
        assert all(t.startswith("Values:") for t in titles[:first_step])
        assert not {"Keys", "Maximize", "Minimize", "Screenshot", "Theme", "Change theme"} & set(titles)
        assert titles[-1] == "Quit" and "Go to Values" not in titles
        await pilot.press(*"review")                # a search keeps the order: this screen, steps, the rest
        await pilot.pause(0.5)
        titles = [str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)]
        assert titles[0].startswith("Values:") and "Go to Review" in titles


async def test_notifications_leave_the_status_line_and_the_key_bar_visible(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await to_values(pilot, app)
        await pilot.pause(0.2)
        before = screen_text(app).splitlines()[-2:]
        app.notify("a notification that is long enough to cover half of the screen width", timeout=30)
        app.notify("a second one", severity="warning", timeout=30)
        await pilot.pause(0.5)
        rows = screen_text(app).splitlines()
        assert any("a second one" in r for r in rows)              # shown …
        assert rows[-2:] == before                                  # … but not over the status line or keys
        assert not any("notification" in r for r in rows[:2])     # nor over the title bar
