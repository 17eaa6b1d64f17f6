#!/usr/bin/env python3
"""Write an SVG screenshot of each wizard screen to screenshots/ (shown in the README).

    python3 dev.py screenshots          # or: .venv/bin/python scripts/screenshots.py [--size 100x30]

The screens run the real engine against the built-in cluster emulator with the real helm and the
chart archives of GAIE_TUI_CHART_DIRS (`python3 dev.py screenshots` points it at ../shared/charts):
the Setup → Record path a user takes in `gaie-tui demo`, then the day-two screens on a cluster that
already holds releases (`gaie-tui demo --scenario existing-releases`): Releases, a release's
History, the review of a rollback, a stuck release.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def _until(pilot, cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        await pilot.pause(0.1)


async def shoot(out: Path, size: tuple[int, int]) -> list[Path]:
    from gaie_tui.core.session import Session
    from gaie_tui.sim.demo import simulated_cluster
    from gaie_tui.ui.app import GaieApp
    from gaie_tui.ui.screens import values as values_screen
    values_screen.DEEP_DELAY = 3600
    tmp = Path(tempfile.mkdtemp(prefix="gaie-shots-"))
    for name in ("STATE", "CACHE", "CONFIG"):
        os.environ[f"GAIE_TUI_{name}_DIR"] = str(tmp / name.lower())
    written = []
    with simulated_cluster("llm-d-ready", ready_delay=0.3, namespace="llm-d") as sc:
        session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context, record_dir=tmp / "gaie-records",
                          upstream_offline=True)
        session.verify_wait = 30
        app = GaieApp(session, resume=False, cursor_blink=False, clock=lambda: 0.0,
                      simulated_banner="SIMULATED CLUSTER (screenshots)")
        app.notify = lambda *a, **kw: None
        async with app.run_test(size=size, notifications=False) as pilot:
            st = app.state

            def on(step: str):
                return lambda: getattr(app.screen, "STEP", "") == step

            shots = [
                ("setup", [], lambda: on("setup")() and st.probe != "pending" and "matches" in
                 str(app.screen.query_one("#matches").content)),
                ("values", ["ctrl+n"], on("values")),
                ("review", ["ctrl+n"], lambda: on("review")() and "Ready to approve" in
                 str(app.screen.query_one("#approval").content)),
                ("deploy", ["a", "y"], lambda: on("deploy")() and app.screen.finished is not None),
                ("verify", ["ctrl+n"], lambda: on("verify")() and app.screen.settled),
                ("record", ["ctrl+n"], lambda: on("record")() and app.screen.shown),
            ]
            await pilot.pause(0.5)
            for name, keys, ready in shots:
                for k in keys:
                    await pilot.press(k)
                    await pilot.pause(0.3)
                await _until(pilot, ready)
                await pilot.pause(0.4)
                path = out / f"{name}.svg"
                path.write_text(app.export_screenshot(title=f"gaie-tui — {name}"), encoding="utf-8")
                written.append(path)
        session.close()
    return written + await shoot_day_two(out, size, tmp)


async def shoot_day_two(out: Path, size: tuple[int, int], tmp: Path) -> list[Path]:
    from gaie_tui.core.session import Session
    from gaie_tui.sim.demo import simulated_cluster
    from gaie_tui.ui.app import GaieApp
    written = []
    with simulated_cluster("existing-releases", ready_delay=0.3, namespace="llm-d") as sc:
        session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context, record_dir=tmp / "gaie-records",
                          upstream_offline=True)
        app = GaieApp(session, resume=False, cursor_blink=False, clock=lambda: 0.0,
                      simulated_banner="SIMULATED CLUSTER (screenshots)")
        app.notify = lambda *a, **kw: None
        async with app.run_test(size=size, notifications=False) as pilot:
            def named(cls: str):
                return lambda: type(app.screen).__name__ == cls

            def listed() -> bool:
                scr = app.screen
                return named("ReleasesScreen")() and scr.listing is not None and all(
                    r.health != "skip" for r in scr.listing.releases)

            shots = [
                ("releases", [], listed),
                ("history", ["down", "h"], lambda: named("HistoryScreen")() and app.screen.history is not None),
                ("rollback", ["down", "r"], lambda: named("ActionScreen")() and "THE PLAN" in
                 str(app.screen.query_one("#action-plan").content)),
                ("stuck", ["escape", "escape", "down", "down", "s"],
                 lambda: named("StuckScreen")() and app.screen.diagnosis is not None),
            ]
            await pilot.pause(0.5)
            for name, keys, ready in shots:
                for k in keys:
                    await _until(pilot, lambda: app.screen.is_attached)
                    await pilot.pause(0.3)
                    await pilot.press(k)
                await _until(pilot, ready)
                await pilot.pause(0.4)
                path = out / f"{name}.svg"
                path.write_text(app.export_screenshot(title=f"gaie-tui — {name}"), encoding="utf-8")
                written.append(path)
        session.close()
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100x30", help="COLSxROWS (default 100x30)")
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    args = ap.parse_args()
    if not os.environ.get("GAIE_TUI_CHART_DIRS"):
        print("set GAIE_TUI_CHART_DIRS to a folder of chart archives (python3 dev.py screenshots does)",
              file=sys.stderr)
        return 2
    cols, rows = (int(x) for x in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in asyncio.run(shoot(out, (cols, rows))):
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
