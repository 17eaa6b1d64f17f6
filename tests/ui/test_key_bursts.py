"""Key bursts (issue 13, item 16): over a slow SSH link several keys reach the terminal driver in
one read. Textual posts every key of that read to the App at once; TextArea inserts printable keys
and Enter in its own key handler, but End, Home, the arrows, Backspace and the screen's keys are
bindings, run only after the key has bubbled back up to the App. End+Enter in one read split the
line where the cursor was, then moved the cursor to the end. The editor must apply keys in order.

`pilot.press` waits for the app to be idle after every key, so it can never show this: these tests
hand Textual's own terminal parser the exact bytes a terminal sends and post every event it gives
at once, as LinuxDriver.run_input_thread does with one read."""
from __future__ import annotations

import pytest
from textual._xterm_parser import XTermParser

from gaie_tui.core.session import Session
from gaie_tui.ui.widgets.editor import ValuesEditor

pytestmark = pytest.mark.xdist_group("ui-key-bursts")

END, END_SS3, HOME = b"\x1b[F", b"\x1bOF", b"\x1b[H"
UP, DOWN, LEFT = b"\x1b[A", b"\x1b[B", b"\x1b[D"
ENTER, BACKSPACE, TAB, F8 = b"\r", b"\x7f", b"\t", b"\x1b[19~"

DOC = "image:\n  tag: v1\nreplicas: 1\n"


def _burst(app, data: bytes) -> None:
    """One read from the terminal: every key event it holds is posted before any is handled."""
    for event in XTermParser().feed(data.decode()):
        app._driver.process_message(event)


async def _editor(pilot, app, text: str = DOC, cursor=(2, 3)) -> ValuesEditor:
    await pilot.pause(0.2)
    await pilot.press("ctrl+n")
    await pilot.pause(0.3)
    assert app.screen.STEP == "values"
    editor = app.screen.query_one("#editor", ValuesEditor)
    editor.load_text(text)
    editor.move_cursor(cursor)
    await pilot.pause(0.1)
    assert app.focused is editor
    return editor


# name: bytes of one read, cursor before it, text and cursor after it
BURSTS = [
    ("End+Enter+text", END + ENTER + b"port: 9", (2, 3), "image:\n  tag: v1\nreplicas: 1\nport: 9\n", (3, 7)),
    ("SS3 End+Enter+text", END_SS3 + ENTER + b"port: 9", (2, 3),
     "image:\n  tag: v1\nreplicas: 1\nport: 9\n", (3, 7)),
    ("Home+text", HOME + b"# ", (2, 5), "image:\n  tag: v1\n# replicas: 1\n", (2, 2)),
    ("text+Backspace+text", b"xy" + BACKSPACE + BACKSPACE + b"5", (2, 11),
     "image:\n  tag: v1\nreplicas: 15\n", (2, 12)),
    ("text+Left+text", b"2" + LEFT + b"1", (2, 11), "image:\n  tag: v1\nreplicas: 112\n", (2, 12)),
    ("Up+text+Down+text", UP + b"A" + DOWN + b"B", (1, 2), "imAage:\n  tBag: v1\nreplicas: 1\n", (1, 4)),
]


@pytest.mark.parametrize("burst, cursor, want, want_cursor", [b[1:] for b in BURSTS], ids=[b[0] for b in BURSTS])
async def test_a_burst_of_keys_is_applied_in_order(app_factory, burst, cursor, want, want_cursor):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        editor = await _editor(pilot, app, cursor=cursor)
        _burst(app, burst)
        await pilot.pause(0.2)
        assert (editor.text, editor.cursor_location) == (want, want_cursor)


async def test_a_screen_key_in_a_burst_comes_before_the_text_after_it(app_factory):
    # F8 (the screen's "next problem") moves to the typo; the letters typed after it fix it there
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        editor = await _editor(pilot, app, text="image:\n  tag: v1\nreplicaxs: 1\n", cursor=(0, 0))
        await pilot.pause(0.2)
        assert any(d.line == 3 for d in app.screen.all_diags())
        _burst(app, F8 + b"#")
        await pilot.pause(0.2)
        assert editor.cursor_location[0] == 2
        assert editor.text.replace("#", "") == "image:\n  tag: v1\nreplicaxs: 1\n"
        assert "#" in editor.document.get_line(2)


async def test_a_remapped_key_in_a_burst_is_applied_in_order(app_factory):
    from gaie_tui.core.paths import config_dir
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "keymap.toml").write_text('[keys]\n"values.next_problem" = "f9"\n')
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        editor = await _editor(pilot, app, text="image:\n  tag: v1\nreplicaxs: 1\n", cursor=(0, 0))
        await pilot.pause(0.2)
        _burst(app, b"\x1b[20~" + b"#")   # F9
        await pilot.pause(0.2)
        assert editor.cursor_location[0] == 2 and "#" in editor.document.get_line(2)


async def test_tab_enter_and_escape_keep_their_editor_meaning(app_factory):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        editor = await _editor(pilot, app, cursor=(2, 0))
        _burst(app, TAB + b"x" + END + ENTER)      # Tab indents (two spaces), not focus
        await pilot.pause(0.2)
        assert editor.text == "image:\n  tag: v1\n  xreplicas: 1\n  \n"   # Enter keeps the indentation
        assert app.focused is editor
        await pilot.press("escape")                # Escape leaves the editor, not the screen
        await pilot.pause(0.1)
        assert app.screen.STEP == "values" and app.focused is not editor
        await pilot.press("escape")                # the next one goes back to Setup
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"


async def test_bound_keys_run_once(app_factory):
    # the editor runs a bound key's action itself and stops the key: the App must not run it again
    # (nor a Textual release that runs TextArea's bindings in TextArea._on_key, upstream PR #6631)
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        editor = await _editor(pilot, app, cursor=(2, 5))
        _burst(app, LEFT + LEFT + BACKSPACE)
        await pilot.pause(0.2)
        assert editor.text == "image:\n  tag: v1\nrelicas: 1\n" and editor.cursor_location == (2, 2)
        await pilot.press("ctrl+z")
        await pilot.pause(0.1)
        assert editor.text == DOC


@pytest.mark.parametrize("burst, want", [(b"ab" + BACKSPACE + b"c", "ac"), (b"x" + LEFT + b"y", "yx"),
                                         (b"12" + HOME + b"0", "012")], ids=["typo-fix", "left", "home"])
async def test_the_setup_forms_inputs_apply_a_burst_in_order(app_factory, burst, want):
    # the same reordering in Textual's Input: Backspace, Left and Home are bindings
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.2)
        field = app.screen.query_one("#release")
        field.value = ""
        field.focus()
        await pilot.pause(0.1)
        _burst(app, burst)
        await pilot.pause(0.2)
        assert field.value == want
