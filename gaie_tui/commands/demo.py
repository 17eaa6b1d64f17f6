"""`gaie-tui demo`: the wizard against a simulated cluster (scenario llm-d-ready by default).

A temporary folder holds the kubeconfig, the records and the wizard's draft; it is removed on
exit, and the user's own kubeconfig is never read or written. Chart archives come from where they
always do (GAIE_TUI_CHART_DIRS, the cache, the registry): a source checkout's `python3 dev.py demo`
points GAIE_TUI_CHART_DIRS at the shared chart folder beside it; the package never looks for one.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def add_arguments(p) -> None:
    import argparse

    from ..sim.scenarios import SCENARIOS
    names = sorted(SCENARIOS)
    # an unknown scenario is a one-line usage error naming the known ones; --help lists them all
    p.add_argument("--scenario", default="llm-d-ready", choices=names, metavar="NAME",
                   help="emulator scenario (default: llm-d-ready; see the list below)")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "scenarios:\n" + "\n".join(f"  {n:24} {SCENARIOS[n].description}" for n in names)
    p.add_argument("--record-dir", metavar="DIR", help="keep the records here instead of the temporary folder")


@contextlib.contextmanager
def _cluster(scenario: str):
    """The emulator: sim.demo.simulated_cluster when present, else a SimServer directly."""
    try:
        from ..sim.demo import simulated_cluster  # type: ignore[attr-defined]
    except ImportError:
        simulated_cluster = None
    if simulated_cluster is not None:
        with simulated_cluster(scenario=scenario) as sim:
            yield Path(sim.kubeconfig), sim.context, sim.url
        return
    from ..sim.server import SimServer
    tmp = Path(tempfile.mkdtemp(prefix="gaie-demo-kube-"))
    server = SimServer(scenario, tls=False)
    try:
        server.start()
        server.wait_until_serving()
        path = server.write_kubeconfig(tmp / "kubeconfig", namespace="llm-d")
        yield path, "gaie-sim", server.url
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args) -> int:
    from .wizard import prepare_terminal_env
    from .wizard import run as run_wizard
    prepare_terminal_env()
    work = Path(tempfile.mkdtemp(prefix="gaie-demo-"))
    saved = {k: os.environ.get(k) for k in ("KUBECONFIG", "GAIE_TUI_STATE_DIR")}
    try:
        os.environ["GAIE_TUI_STATE_DIR"] = str(work / "state")   # drafts of the demo stay in the demo
        with _cluster(getattr(args, "scenario", "llm-d-ready")) as (kubeconfig, context, url):
            os.environ["KUBECONFIG"] = str(kubeconfig)
            from ..core.session import Session
            session = Session(kubeconfig=str(kubeconfig), context=context,
                              record_dir=getattr(args, "record_dir", None) or str(work / "gaie-records"))
            session.record_dir_is_temporary = not getattr(args, "record_dir", None)
            banner = (f"SIMULATED CLUSTER at {url} (scenario {getattr(args, 'scenario', 'llm-d-ready')}): "
                      "nothing here touches a real cluster; everything is removed on exit.")
            args.values = getattr(args, "values", None)
            return run_wizard(args, session=session, banner=banner)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(work, ignore_errors=True)
