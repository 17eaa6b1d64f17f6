"""Benchmark the simulated cluster: list 5,000 pods by label selector through the kubernetes
client, and a full `helm upgrade --install --wait` of a real chart.

    .venv/bin/python benchmarks/bench_sim.py [--chart PATH.tgz] [--helm PATH] [--pods N]

Prints plain numbers; not a pytest test.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gaie_tui.sim.demo import simulated_cluster  # noqa: E402


def seed_pods(cluster, count: int) -> None:
    store = cluster.server.store
    pods = store.registry.lookup("", "v1", "pods")
    store.create(store.registry.lookup("", "v1", "namespaces"), "", {"metadata": {"name": "bench"}})
    for i in range(count):
        store.create(pods, "bench", {
            "metadata": {"name": f"pod-{i:05d}", "labels": {"app": f"app-{i % 10}", "tier": "a" if i % 2 else "b"}},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "ports": [{"containerPort": 8000}]}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
            keep_status=True)


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--chart", default=str(ROOT.parent / "shared" / "charts" / "inferencepool-v1.5.0.tgz"))
    parser.add_argument("--helm", default=str(ROOT / ".tools" / "bin" / "helm") if (ROOT / ".tools/bin/helm").exists()
                        else (shutil.which("helm") or "helm"))
    args = parser.parse_args()

    with simulated_cluster("llm-d-ready", ready_delay=0.2) as cluster:
        start = time.perf_counter()
        seed_pods(cluster, args.pods)
        print(f"seed {args.pods} pods (in-process store): {time.perf_counter() - start:.3f}s")
        api = config.new_client_from_config(config_file=str(cluster.kubeconfig), context=cluster.context)
        core = client.CoreV1Api(api)
        selector = "tier=a,app in (app-1,app-3,app-5)"
        found = len(core.list_namespaced_pod("bench", label_selector=selector).items)
        typed = best_of(3, lambda: core.list_namespaced_pod("bench", label_selector=selector))
        raw = best_of(3, lambda: core.list_namespaced_pod("bench", label_selector=selector,
                                                          _preload_content=False).read())
        everything = best_of(3, lambda: core.list_namespaced_pod("bench", _preload_content=False).read())
        print(f"list pods by label selector ({found} of {args.pods} match), kubernetes client, typed objects: {typed:.3f}s")
        print(f"same list, raw JSON (server + transfer only): {raw:.3f}s")
        print(f"list all {args.pods} pods, raw JSON: {everything:.3f}s")

        chart = Path(args.chart)
        if not chart.is_file():
            print(f"helm install --wait: skipped (no chart archive at {chart})")
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
            for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HOME"):
                env[name] = str(Path(tmp) / name.lower())
            argv = [args.helm, "--kubeconfig", str(cluster.kubeconfig), "--kube-context", cluster.context,
                    "--namespace", "llm-d", "upgrade", "--install", "bench", str(chart), "--wait", "--timeout", "60s",
                    "--set", "inferencePool.modelServers.matchLabels.llm-d\\.ai/inferenceServing=true",
                    "--set", "provider.name=istio"]
            start = time.perf_counter()
            proc = subprocess.run(argv, env=env, capture_output=True, text=True)
            took = time.perf_counter() - start
            if proc.returncode != 0:
                print(f"helm install --wait failed: {proc.stderr.strip()}")
                return 1
            print(f"helm upgrade --install --wait ({chart.name}, pod ready delay 0.2s): {took:.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
