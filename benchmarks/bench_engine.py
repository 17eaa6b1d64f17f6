"""Benchmark of the deploy/verify engine against the emulator with the real helm.

    .venv/bin/python benchmarks/bench_engine.py [--runs N] [--pods N]

Reports (1) deploy-to-verified time of a full DeployEngine run (render, preflight, helm upgrade
--install --wait, verification, record) on `llm-d-ready`, and (2) the time of one verification
refresh (every check, label-selector-scoped calls) with N model-server pods behind the pool.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--chart", default="inferencepool@v1.5.0")
    args = ap.parse_args()
    os.environ.setdefault("GAIE_TUI_CHART_DIRS", str(ROOT.parent / "shared" / "charts"))
    local_helm = ROOT / ".tools" / "bin" / "helm"
    if local_helm.exists():
        os.environ.setdefault("GAIE_TUI_HELM", str(local_helm))

    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    from gaie_tui.core.cluster.kube import Cluster
    from gaie_tui.core.deploy.engine import DeployEngine
    from gaie_tui.core.deploy.plan import make_plan, render
    from gaie_tui.core.values.generate import Answers, generate
    from gaie_tui.core.verify.checks import evaluate
    from gaie_tui.core.verify.snapshot import fetch
    from gaie_tui.sim.demo import simulated_cluster
    from gaie_tui.sim.scenarios import Seed

    chart = KnowledgeStore().get(parse_ref(args.chart))
    values = generate(chart, Answers(release="gaie", namespace="llm-d", hf_secret="llm-d-hf-token")).text
    records = Path(tempfile.mkdtemp(prefix="gaie-bench-"))

    times = []
    for _ in range(args.runs):
        with simulated_cluster("llm-d-ready", ready_delay=0.2) as sc:
            plan = make_plan(chart, values, release="gaie", namespace="llm-d", kubeconfig=str(sc.kubeconfig),
                             context=sc.context, wait_timeout="60s")
            t0 = time.perf_counter()
            out = DeployEngine(plan, chart=chart, record_parent=records, verify_wait=30, approved_by="--yes",
                               observe_interval=0.25).run()
            times.append(time.perf_counter() - t0)
            assert out.status == "verified", out.status
    print(f"deploy-to-verified ({args.chart}, emulator ready delay 0.2s, {args.runs} runs): "
          f"median {statistics.median(times):.2f}s, min {min(times):.2f}s, max {max(times):.2f}s")

    with simulated_cluster("llm-d-ready", ready_delay=0.0) as sc:
        t0 = time.perf_counter()
        Seed(sc.server.store).model_servers("llm-d", "vllm-fleet", {"llm-d.ai/inferenceServing": "true"},
                                           replicas=args.pods)
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context, timeout=60)
        deadline = time.monotonic() + 120
        while True:
            pods = cluster.list("/api/v1/namespaces/llm-d/pods", label_selector="app=vllm-fleet")
            ready = sum(1 for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                               for c in (p.get("status") or {}).get("conditions") or []))
            if ready >= args.pods or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"seeded {len(pods)} model-server pods ({ready} Ready) in {time.perf_counter() - t0:.1f}s")
        plan = make_plan(chart, values, release="gaie", namespace="llm-d", kubeconfig=str(sc.kubeconfig),
                         context=sc.context, wait_timeout="120s")
        out = DeployEngine(plan, chart=chart, record_parent=records, verify_wait=60, cluster=cluster,
                           approved_by="--yes").run()
        exp = render(plan)
        refresh = []
        for _ in range(5):
            t0 = time.perf_counter()
            snap = fetch(cluster, exp)
            checks, _ = evaluate(exp, snap)
            refresh.append(time.perf_counter() - t0)
        endpoints = next(c for c in checks if c.id == "pool-endpoints")
        print(f"verify refresh with {len(snap.model_pods)} model-server pods: median "
              f"{statistics.median(refresh) * 1000:.0f}ms (min {min(refresh) * 1000:.0f}ms, "
              f"{snap.calls} API calls, helm not included); deploy outcome {out.status}; "
              f"{endpoints.status}: {endpoints.evidence}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
