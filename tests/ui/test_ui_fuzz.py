"""Issue 12, the UI half of the fuzz test: random strings made of escape sequences (OSC 52, CSI 2J,
OSC 8, C1 CSI, bidi overrides, NUL, CR, DEL) and Rich markup (`[/nope]`, `[link=…]`, `[bold]`)
go through the problems list and the explanation panel (as keys and values of a values file) and
through the Verify table and its details (as check titles and evidence): no exception, no raw
control character on the rendered screen, and the markup shown as typed, never interpreted.

Bounded: a fixed seed and a fixed number of strings (GAIE_TUI_FUZZ=long multiplies it)."""
from __future__ import annotations

import importlib.util
import json
import os
import random
from pathlib import Path

import pytest
from uihelp import deployed, screen_text, text_of, to_values, wait_until

from gaie_tui.core.cluster.checks import FAIL, WARN, Check
from gaie_tui.core.textsafe import visible

pytestmark = pytest.mark.xdist_group("ui-fuzz")
_spec = importlib.util.spec_from_file_location("hostile", Path(__file__).parents[1] / "security" / "hostile.py")
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

N = 20 * (10 if os.environ.get("GAIE_TUI_FUZZ") == "long" else 1)
PIECES = [hostile.OSC52, hostile.CSI_CLEAR, hostile.OSC8, hostile.C1_CSI, hostile.BIDI, "\x00", "\r", "\x7f",
          "\x1bP+q\x1b\\", "\x1b]0;title\x07", "\u2028", "[/nope]", "[bold]", "[/]", "[link=https://evil]x[/link]",
          "[red]", "a", "b.c", "é", " ", "%s", "{x}"]
MARKUP = ("[/nope]", "[bold]", "[/]", "[/link]", "[red]")


def hostile_strings(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4))) for _ in range(n)]


def no_raw_controls(text: str) -> None:
    assert hostile.RAW_CONTROL.findall(text) == [], repr(text[:500])


def markup_shown(shown: str, s: str) -> None:
    """Every markup tag in `s` is on the screen as typed (an interpreted tag would be gone)."""
    flat = "".join(shown.split())
    for tag in MARKUP:
        if tag in s:
            assert tag in flat, (tag, s)


async def test_hostile_keys_and_values_through_the_problems_list_and_the_panel(app_factory, offline):
    app = app_factory(offline)
    async with app.run_test(size=(200, 50), notifications=False) as pilot:
        await to_values(pilot, app)
        scr = app.screen
        editor = scr.query_one("#editor")
        for s in hostile_strings(13, N):
            # JSON strings are YAML double-quoted strings: any character, escaped
            text = (f"{json.dumps(s)}: {json.dumps(s)}\ninferenceExtension:\n  replicas: {json.dumps(s)}\n"
                    "inferencePool:\n  modelServers:\n    matchLabels:\n      app: vllm\n")
            editor.load_text(text)
            editor.move_cursor((0, 1))
            await pilot.pause(0.05)
            assert app.is_running
            shown = screen_text(app)
            no_raw_controls(shown)
            no_raw_controls(text_of(app, "#explain-body"))
            assert scr.all_diags(), s                    # an unknown key and a wrong type, at least
            markup_shown(shown, s)
            editor.move_cursor((2, 4))                   # the wrong-typed value: its finding in the panel
            await pilot.pause(0.05)
            shown = screen_text(app)
            no_raw_controls(shown)
            assert "wrong-type" in text_of(app, "#explain-body")


async def test_hostile_checks_through_the_verify_table_and_details(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(200, 50), notifications=False) as pilot:
        await deployed(pilot, app)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
        scr = app.screen
        scr.paused = True                              # only these rows change while we look
        table = scr.query_one("#checks")
        for i, s in enumerate(hostile_strings(29, N)):
            check = Check(f"fuzz-{i % 3}", f"Fuzz {s}", FAIL if i % 2 else WARN, f"seen {s}", f"do {s}",
                          f"looked at {s}", details=[f"line {s}", s])
            scr.apply_rows([check])
            table.move_cursor(row=table.get_row_index(check.id))
            await pilot.pause(0.05)
            assert app.is_running
            shown = screen_text(app)
            no_raw_controls(shown)
            no_raw_controls(text_of(app, "#details-body"))
            assert visible(f"Fuzz {s}", one_line=True) in shown.replace("\n", "") or \
                visible(f"Fuzz {s}", one_line=True)[:40] in shown
            markup_shown(shown, s)
