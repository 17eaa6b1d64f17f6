"""Benchmark of the day-two listing against the emulator with the real helm.

    .venv/bin/python benchmarks/bench_releases.py [--runs N] [--releases N]

Reports (1) `list_releases` (helm list of every namespace, then each release's EPP Deployment,
InferencePool and model-server pods) on the existing-releases scenario, (2) the same and a `refresh` with
nothing changed for N releases spread over N/4 namespaces, with the API calls each makes, and
(3) `history` of a release with two revisions (one `helm get values` and one `helm get manifest`
per revision).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--releases", type=int, default=40)
    args = ap.parse_args()
    local_helm = ROOT / ".tools" / "bin" / "helm"
    if local_helm.exists():
        os.environ.setdefault("GAIE_TUI_HELM", str(local_helm))

    from gaie_tui.core.cluster import helm as helm_mod
    from gaie_tui.core.cluster.kube import Cluster
    from gaie_tui.core.cluster.releases import list_releases, refresh
    from gaie_tui.core.deploy.actions import history
    from gaie_tui.sim import scenarios
    from gaie_tui.sim.demo import simulated_cluster

    helm, _ = helm_mod.check_helm()
    with simulated_cluster("existing-releases", ready_delay=0.0) as sc:
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        t, listing = _timed(lambda: list_releases(cluster, helm), args.runs)
        print(f"list_releases, existing-releases scenario ({len(listing.releases)} releases in 4 namespaces): median "
              f"{t * 1000:.0f} ms over {args.runs} runs")
        t, hist = _timed(lambda: history(helm, "gaie", "llm-d", cluster.helm_args()), args.runs)
        print(f"history of gaie ({len(hist.revisions)} revisions, values and manifest of each): median {t * 1000:.0f} ms")
        cluster.close()

    with simulated_cluster("llm-d-ready", ready_delay=0.0) as sc:
        seed = scenarios.Seed(sc.server.store)
        spaces = max(1, args.releases // 4)
        for i in range(spaces):
            ns = f"team-{i:02d}"
            seed.namespace(ns)
            seed.model_servers(ns, "vllm", {scenarios.LEGACY_MODEL_LABEL: "true"})
        for i in range(args.releases):
            seed.release(f"pool-{i:03d}", f"team-{i % spaces:02d}", [
                scenarios.Revision("v1.5.0", f"{scenarios.SCHEDULER}:v0.8.0", age=timedelta(days=i % 9 + 1))])
        sc.server.controllers.settle()
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        before = len(sc.server.request_log)
        t, listing = _timed(lambda: list_releases(cluster, helm), args.runs)
        calls = (len(sc.server.request_log) - before) / args.runs
        print(f"list_releases, {len(listing.releases)} releases in {spaces} namespaces: median {t * 1000:.0f} ms, "
              f"{calls:.0f} API requests (helm's and ours) per listing")
        before = len(sc.server.request_log)
        t, changes = _timed(lambda: refresh(listing, cluster, helm), args.runs)
        calls = (len(sc.server.request_log) - before) / args.runs
        print(f"refresh with nothing changed: median {t * 1000:.0f} ms, {calls:.0f} API requests, "
              f"changes reported: {'some' if changes.any else 'none'}")
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
