"""The wizard's own small widgets: form rows with their labels beside them, the key line, the
one-line button and toggle. Each replaced a heavier Textual widget to keep the first frame fast;
these tests hold them to what users did with the originals."""
from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input

from gaie_tui.core.session import Session
from gaie_tui.ui.widgets.action import ActionButton
from gaie_tui.ui.widgets.field import LABEL_WIDTH
from gaie_tui.ui.widgets.keybar import KeyBar
from gaie_tui.ui.widgets.tick import Tick

pytestmark = pytest.mark.xdist_group("ui-widgets")


def _row(app, y: int) -> str:
    """Line y of the screen as plain text."""
    strip = app.screen._compositor.render_strips()[y]
    return "".join(seg.text for seg in strip)


def _line_of(app, widget) -> str:
    return _row(app, widget.region.y)


async def test_form_rows_show_label_beside_the_value(app_factory):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await pilot.pause(0.3)
        scr = app.screen
        rel = scr.query_one("#release", Input)
        line = _line_of(app, rel)
        x = rel.region.x
        assert line[x:x + LABEL_WIDTH].rstrip() == "Release"
        assert line[x + LABEL_WIDTH:].startswith("gaie-inference")
        for wid, label in (("#family", "Chart"), ("#provider", "Provider"), ("#zmq", "Ports")):
            w = scr.query_one(wid)
            assert _line_of(app, w)[w.region.x:].startswith(label), wid


async def test_typing_and_clicking_in_a_labelled_input_ignore_the_label(app_factory):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await pilot.pause(0.3)
        rel = app.screen.query_one("#release", Input)
        # a click on the first letter of the value puts the cursor before it, not 13 cells later
        await pilot.click(rel, offset=(LABEL_WIDTH, 0))
        await pilot.pause(0.05)
        assert rel.has_focus and rel.cursor_position == 0
        await pilot.press("x")
        await pilot.pause(0.05)
        assert rel.value == "xgaie-inference"
        assert rel.cursor_screen_offset.x == rel.region.x + LABEL_WIDTH + 1
        assert _line_of(app, rel)[rel.region.x:].startswith("Release      xgaie-inference")


async def test_keybar_shows_remapped_keys_and_a_click_presses_one(app_factory):
    from gaie_tui.core.paths import config_dir
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "keymap.toml").write_text('[keys]\n"setup.next" = "f10"\n')
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await pilot.pause(0.3)
        bar = app.screen.query_one(KeyBar)
        text = _line_of(app, bar)
        assert "f10 Next: values" in text and "^n" not in text
        assert text.rstrip().endswith("^p Palette")
        start, end, key, _ = next(s for s in bar._spans if s[2] == "f10")
        await pilot.click(bar, offset=(start + 1, 0))
        await pilot.pause(0.3)
        assert app.screen.STEP == "values"


async def test_keybar_keeps_whole_keys_when_the_terminal_is_narrow(app_factory):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(50, 24), notifications=False) as pilot:
        await pilot.pause(0.3)
        bar = app.screen.query_one(KeyBar)
        text = _line_of(app, bar)
        assert len(text) == 50
        assert "…" in text and "^p Palette" in text
        shown = [s for s in bar._spans if s[2] != "ctrl+p"]
        assert shown and all(end <= 50 for _, end, _, _ in shown)
        # every key drawn is drawn whole: its description follows it
        assert "^n Next: values" in text


class _Buttons(App):
    def __init__(self) -> None:
        super().__init__()
        self.pressed: list[str] = []
        self.ticked: list[bool] = []

    def compose(self):
        yield ActionButton("Go", id="go", variant="primary")
        yield ActionButton("Never", id="never", disabled=True)
        yield Tick("zmq", False, label="Ports", id="tick")

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        self.pressed.append(event.button.id)

    def on_tick_changed(self, event: Tick.Changed) -> None:
        self.ticked.append(event.value)


async def test_action_button_presses_by_key_and_click_not_when_disabled():
    app = _Buttons()
    async with app.run_test(size=(40, 6)) as pilot:
        go = app.query_one("#go", ActionButton)
        go.focus()
        await pilot.press("enter")
        await pilot.press("space")
        await pilot.click("#never")
        await pilot.click("#go")
        await pilot.pause(0.05)
        assert app.pressed == ["go", "go", "go"]
        with pytest.raises(ValueError):
            ActionButton("x", variant="loud")


async def test_tick_toggles_by_key_and_click_and_says_so():
    app = _Buttons()
    async with app.run_test(size=(40, 6)) as pilot:
        tick = app.query_one("#tick", Tick)
        tick.focus()
        await pilot.press("space")
        assert tick.value and str(tick.render()).startswith("[x]")
        await pilot.click("#tick", offset=(LABEL_WIDTH + 1, 0))
        await pilot.pause(0.05)
        assert not tick.value and str(tick.render()).startswith("[ ]")
        assert app.ticked == [True, False]
