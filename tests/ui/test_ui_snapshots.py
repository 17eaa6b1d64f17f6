"""SVG snapshots of every screen at 80×24 and 120×40 through pytest-textual-snapshot (a missing
snapshot fails; `pytest --snapshot-update` rewrites them after a change was checked). The screens
run the real engine against the emulator with the real helm; `snapshot_env` fixes what would
change between runs (paths, pod names, the record's time, helm's clock line)."""
from __future__ import annotations

import pytest
from uihelp import deployed, make_app, setup_settled, text_of, to_review, to_values, wait_until

from gaie_tui.ui.screens import values as values_screen

pytestmark = pytest.mark.xdist_group("ui-snapshots")
SIZES = [(80, 24), (120, 40)]
STEPS = ["setup", "values", "review", "deploy", "verify", "record"]


async def drive_to(pilot, app, step: str) -> None:
    if step == "setup":
        await setup_settled(pilot, app)
        assert await wait_until(pilot, lambda: "chart archive" in text_of(app, "#archive-note"), 20)
        return
    if step == "values":
        await to_values(pilot, app)
        return
    if step == "review":
        await to_review(pilot, app)
        assert await wait_until(pilot, lambda: "NEW INSTALL" in text_of(app, "#diff"), 20)
        return
    await deployed(pilot, app)
    if step == "deploy":
        return
    await pilot.press("ctrl+n")
    assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
    if step == "verify":
        return
    await pilot.press("ctrl+n")
    assert await wait_until(pilot, lambda: app.screen.STEP == "record" and app.screen.shown, 30)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", STEPS)
def test_snapshot(step, size, snap_compare, snapshot_env, monkeypatch):
    monkeypatch.setattr(values_screen, "DEEP_DELAY", 3600)
    app = make_app(snapshot_env)
    app.notify = lambda *a, **kw: None   # toasts come and go on their own clock: not part of a layout

    async def run_before(pilot) -> None:
        await drive_to(pilot, app, step)
        assert app.screen.STEP == step
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
