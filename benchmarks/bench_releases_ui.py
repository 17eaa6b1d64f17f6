"""The Releases screen: from the wizard's start to the releases listed with their health, and the
bytes written to the terminal per refresh (the emulator's existing-releases scenario, the real helm).

    .venv/bin/python benchmarks/bench_releases_ui.py [--runs N] [--json]   # or: python3 dev.py bench releases_ui

Reports numbers; never fails on time. Needs GAIE_TUI_CHART_DIRS (python3 dev.py bench sets it) and helm.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class _Counter:
    def __init__(self) -> None:
        self.bytes = 0

    def __call__(self, data: str) -> None:
        self.bytes += len(data.encode("utf-8"))


async def _until(pilot, cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        await pilot.pause(0.02)


def _listed(app) -> bool:
    scr = app.screen
    return type(scr).__name__ == "ReleasesScreen" and scr.listing is not None and bool(scr.listing.releases) \
        and all(r.health != "skip" for r in scr.listing.releases)


async def bench(runs: int) -> dict:
    from textual.drivers.headless_driver import HeadlessDriver

    from gaie_tui.core.session import Session
    from gaie_tui.sim.demo import simulated_cluster
    from gaie_tui.ui.app import GaieApp

    counter = _Counter()
    HeadlessDriver.is_headless = property(lambda self: False)   # render for real …
    HeadlessDriver.write = lambda self, data: counter(data)     # … and count what would be sent
    tmp = tempfile.mkdtemp(prefix="gaie-bench-")
    for name in ("STATE", "CACHE", "CONFIG"):
        os.environ[f"GAIE_TUI_{name}_DIR"] = str(Path(tmp) / name.lower())
    out: dict = {}
    with simulated_cluster("existing-releases", ready_delay=0.2, namespace="llm-d") as sc:
        times = []
        for _ in range(runs):
            session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context, record_dir=tmp,
                              upstream_offline=True)
            app = GaieApp(session, resume=False, cursor_blink=False, clock=lambda: 0.0)
            t0 = time.perf_counter()
            async with app.run_test(size=(80, 24), notifications=False) as pilot:
                await _until(pilot, lambda: _listed(app))
                times.append(time.perf_counter() - t0)
                scr = app.screen
                scr.timer.pause()
                await pilot.pause(0.5)
                if "refresh_unchanged_bytes" not in out:
                    counter.bytes = 0
                    looks = scr.refreshes
                    t1 = time.perf_counter()
                    scr.action_refresh()
                    await _until(pilot, lambda: scr.refreshes > looks)
                    out["refresh_unchanged_ms"] = round((time.perf_counter() - t1) * 1000, 1)
                    await pilot.pause(0.3)
                    out["refresh_unchanged_bytes"] = counter.bytes
                    from kubernetes import client, config
                    api = config.new_client_from_config(config_file=str(sc.kubeconfig), context=sc.context)
                    client.AppsV1Api(api).patch_namespaced_deployment("gaie-epp", "llm-d",
                                                                      {"spec": {"replicas": 2}})
                    await asyncio.sleep(1.0)          # the emulator's second EPP pod becomes Ready
                    counter.bytes = 0
                    scr.updates.clear()
                    looks = scr.refreshes
                    scr.action_refresh()
                    await _until(pilot, lambda: scr.refreshes > looks)
                    await pilot.pause(0.3)
                    out["refresh_one_release_changed_bytes"] = counter.bytes
                    out["cells_updated"] = sorted({f"{k}:{c}" for k, c in scr.updates})
                    counter.bytes = 0
                    scr.refresh()
                    await pilot.pause(0.3)
                    out["full_repaint_bytes"] = counter.bytes
            session.close()
    out["start_to_listed_with_health_s"] = {"median": round(statistics.median(times), 3),
                                            "min": round(min(times), 3), "runs": len(times)}
    out["goal"] = "refresh with nothing changed: 0 bytes; one changed release: its cells, not a repaint"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not os.environ.get("GAIE_TUI_CHART_DIRS"):
        shared = Path(__file__).resolve().parents[2] / "shared" / "charts"
        if shared.is_dir():
            os.environ["GAIE_TUI_CHART_DIRS"] = str(shared)
    results = asyncio.run(bench(args.runs))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for k, v in results.items():
            print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
