"""Benchmark of the values checker (not a test).

    .venv/bin/python benchmarks/bench_checker.py [--runs N] [--deep-runs N] [--charts DIR]

Reports, for the generated istio values file of inferencepool v1.5.0 and a 300-line values file:
layers 1-3 (`check_text`, what the editor runs on every keystroke) median and p95; `--deep`
(layer 4, real helm) wall time; peak Python memory (tracemalloc) and the process's max RSS.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def three_hundred_lines(base: str) -> str:
    """A realistic long file: the generated values with a large plugins configuration added to the
    EPP block (pluginsCustomConfig, a map of file name to file content)."""
    head, marker, rest = base.partition("inferenceExtension:\n")
    block = ["  pluginsConfigFile: custom-plugins.yaml", "  pluginsCustomConfig:",
             "    custom-plugins.yaml: |", "      apiVersion: inference.networking.x-k8s.io/v1alpha1",
             "      kind: EndpointPickerConfig", "      plugins:"]
    need = 300 - len(base.splitlines()) - len(block)
    i = 0
    while need > 0:
        block += [f"      - type: scorer-{i}", "        parameters:", f"          weight: {i % 5 + 1}"][:need]
        need -= 3
        i += 1
    return head + marker + "\n".join(block) + "\n" + rest


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--deep-runs", type=int, default=5)
    ap.add_argument("--charts", default=str(ROOT.parent / "shared" / "charts"))
    args = ap.parse_args()
    os.environ.setdefault("GAIE_TUI_CHART_DIRS", args.charts)
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    from gaie_tui.core.check.checker import check_text
    from gaie_tui.core.values.generate import Answers, generate

    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.5.0"))
    gen = generate(chart, Answers(provider="istio", hf_secret="llm-d-hf-token")).text
    long_text = three_hundred_lines(gen)
    files = {f"generated ({len(gen.splitlines())} lines)": gen,
             f"300-line file ({len(long_text.splitlines())} lines)": long_text}
    print(f"chart {chart.name} {chart.version}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    check_text(gen, chart)  # first call builds the per-chart caches
    for label, text in files.items():
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            check_text(text, chart)
            times.append((time.perf_counter() - t) * 1000)
        print(f"layers 1-3, {label}: median {statistics.median(times):.2f} ms, p95 {pct(times, 0.95):.2f} ms "
              f"({args.runs} runs, {len(check_text(text, chart))} diagnostics)")
    if chart.archive is not None:
        deep = []
        for _ in range(args.deep_runs):
            t = time.perf_counter()
            check_text(gen, chart, deep=True)
            deep.append(time.perf_counter() - t)
        print(f"--deep, generated file: median {statistics.median(deep):.2f} s, max {max(deep):.2f} s "
              f"({args.deep_runs} runs)")
    else:
        print("--deep skipped: no chart archive (set GAIE_TUI_CHART_DIRS or --charts)")
    tracemalloc.start()
    for text in files.values():
        check_text(text, chart)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: peak {peak / 1024:.0f} KiB allocated during one check of each file; process max RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
