"""Helpers of the UI tests (plain functions, imported by name: `from uihelp import …`)."""
from __future__ import annotations

import time


def make_app(session, **kw):
    from gaie_tui.ui.app import GaieApp
    kw.setdefault("resume", False)
    kw.setdefault("cursor_blink", False)
    kw.setdefault("clock", lambda: 1000.0)
    return GaieApp(session, **kw)


async def wait_until(pilot, cond, timeout: float = 30.0) -> bool:
    """Whether `cond` holds within `timeout`. A widget the condition reads that is not mounted yet
    (a screen just pushed, its children still composing) means "not yet", not an error."""
    from textual.css.query import NoMatches

    def holds() -> bool:
        try:
            return bool(cond())
        except NoMatches:
            return False

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if holds():
            return True
        await pilot.pause(0.05)
    return holds()


def text_of(app, selector) -> str:
    from textual.widgets import Static
    return str(app.screen.query_one(selector, Static).content)


async def setup_settled(pilot, app, timeout: float = 30.0) -> None:
    """Setup has its cluster answer (or is offline) and its versions note."""
    assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "setup", 10)
    assert await wait_until(pilot, lambda: app.state.probe != "pending" or app.state.offline, timeout)
    assert await wait_until(pilot, lambda: "asking upstream" not in text_of(app, "#versions-note")
                            and text_of(app, "#versions-note") != "", timeout)
    if not app.state.offline:
        assert await wait_until(pilot, lambda: "matches" in text_of(app, "#matches"), timeout), \
            text_of(app, "#matches")


async def to_values(pilot, app) -> None:
    await setup_settled(pilot, app)
    await pilot.press("ctrl+n")
    assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 30)
    await pilot.pause(0.1)


async def to_review(pilot, app, *, ready: bool = True) -> None:
    await to_values(pilot, app)
    await pilot.press("ctrl+n")
    assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "review", 10)
    if ready:
        assert await wait_until(pilot, lambda: "Ready to approve" in text_of(app, "#approval")
                                or "blocked" in text_of(app, "#approval"), 60), text_of(app, "#approval")


async def approve(pilot, app, *, from_review: bool = False) -> None:
    if not from_review:
        await to_review(pilot, app)
    assert "Ready to approve" in text_of(app, "#approval"), text_of(app, "#approval")
    await pilot.press("a")
    assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
    await pilot.press("y")
    assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "deploy", 10)


async def deployed(pilot, app, timeout: float = 90.0, *, from_review: bool = False) -> None:
    """Approve and wait until the Deploy screen has the engine's answer."""
    await approve(pilot, app, from_review=from_review)
    assert await wait_until(pilot, lambda: app.screen.finished is not None, timeout)


def screen_text(app) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


def line_of(editor, start: str) -> int:
    """The row of the first editor line whose content starts with `start`."""
    return next(i for i, line in enumerate(editor.text.splitlines()) if line.strip().startswith(start))
