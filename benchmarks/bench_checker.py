"""Benchmark of the values checker and of `migrate` (not a test: reported numbers).

    .venv/bin/python benchmarks/bench_checker.py [--runs N] [--deep-runs N] [--charts DIR]

Reports, on inferencepool v1.5.0:
- layers 1-3 (`check_text`, what the editor runs on every keystroke) on the generated istio file and
  a 300-line file, and on a 300-line set of three layers (`check_layers`): median and p95;
- `--deep` (layer 4, real helm) on the generated file, beside one `helm template` of the same file
  measured in the same run, and their ratio (goal: 3x or less), with the helm runs it took;
- `migrate` with its proof (generated inferencepool v1.2.0 istio values → llm-d-router-gateway
  v0.10.0), wall time (goal: under 3 s);
- 99,000 unknown keys (a 1.2 MB file): one check;
- peak Python memory (tracemalloc) and the process's max RSS.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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


def three_layers(long_text: str) -> list[tuple[str, str]]:
    """The 300-line file as llm-d layers its files: a base without the pool, a feature overlay
    (monitoring), and a guide file with the pool selector and the plugins."""
    head, _, rest = long_text.partition("inferenceExtension:\n")
    epp, _, tail = rest.partition("\ninferencePool:")
    plugins_at = epp.index("  pluginsConfigFile:")
    base = head + "inferenceExtension:\n" + epp[:plugins_at] + "\nprovider:" + tail.partition("\nprovider:")[2]
    feature = "# monitoring on\ninferenceExtension:\n  monitoring:\n    interval: 30s\n    prometheus:\n" \
              "      enabled: true\n"
    guide = "inferenceExtension:\n" + epp[plugins_at:] + "\ninferencePool:" + tail.partition("\nprovider:")[0] + "\n"
    return [("base.yaml", base), ("monitoring.yaml", feature), ("guide.yaml", guide)]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--deep-runs", type=int, default=7)
    ap.add_argument("--charts", default=str(ROOT.parent / "shared" / "charts"))
    args = ap.parse_args()
    os.environ.setdefault("GAIE_TUI_CHART_DIRS", args.charts)
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    from gaie_tui.core.check.checker import check_layers, check_text
    from gaie_tui.core.check.deep import find_helm
    from gaie_tui.core.values.generate import Answers, generate

    store = KnowledgeStore()
    chart = store.get(parse_ref("inferencepool@v1.5.0"))
    gen = generate(chart, Answers(provider="istio", hf_secret="llm-d-hf-token")).text
    long_text = three_hundred_lines(gen)
    layers = three_layers(long_text)
    files = {f"generated ({len(gen.splitlines())} lines)": gen,
             f"300-line file ({len(long_text.splitlines())} lines)": long_text}
    print(f"chart {chart.name} {chart.version}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    check_text(gen, chart)  # first call builds the per-chart caches
    for label, text in files.items():
        times = [t * 1000 for t in timed(lambda text=text: check_text(text, chart), args.runs)]
        print(f"layers 1-3, {label}: median {statistics.median(times):.2f} ms, p95 {pct(times, 0.95):.2f} ms "
              f"({args.runs} runs, {len(check_text(text, chart))} diagnostics)")
    n = sum(len(t.splitlines()) for _, t in layers)
    times = [t * 1000 for t in timed(lambda: check_layers(layers, chart), args.runs)]
    print(f"layers 1-3, three layers merged ({n} lines in 3 files): median {statistics.median(times):.2f} ms, "
          f"p95 {pct(times, 0.95):.2f} ms ({args.runs} runs, {len(check_layers(layers, chart))} diagnostics)")

    helm = find_helm()
    if chart.archive is not None and helm:
        from gaie_tui.core.check import render
        runs_before = [0]
        original = render.BatchRenderer._helm

        def counting(self, *a, **kw):
            runs_before[0] += 1
            return original(self, *a, **kw)

        render.BatchRenderer._helm = counting
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            fh.write(gen)
        check_text(gen, chart, deep=True, helm=helm)
        runs_before[0] = 0
        deep, plain = [], []
        for _ in range(args.deep_runs):  # interleaved: the machine's speed moves between runs
            plain += timed(lambda: subprocess.run([helm, "template", "gaie-tui-check", str(chart.archive), "-f", fh.name],
                                                  capture_output=True, check=True), 1)
            deep += timed(lambda: check_text(gen, chart, deep=True, helm=helm), 1)
        os.unlink(fh.name)
        render.BatchRenderer._helm = original
        ratio = statistics.median(deep) / statistics.median(plain)
        print(f"--deep, generated file: median {statistics.median(deep):.3f} s (max {max(deep):.3f} s), "
              f"{runs_before[0] / args.deep_runs:.1f} helm runs each; one helm template of it: median "
              f"{statistics.median(plain):.3f} s; ratio {ratio:.2f}x ({args.deep_runs} runs)")
        from gaie_tui.core.migrate import migrate
        src = store.get(parse_ref("inferencepool@v1.2.0"))
        dst = store.get(parse_ref("llm-d-router-gateway@v0.10.0"))
        old = generate(src, Answers(provider="istio", hf_secret="llm-d-hf-token")).text
        results = []
        mig = timed(lambda: results.append(migrate([("values.yaml", old)], src, dst, helm=helm)), args.deep_runs)
        print(f"migrate inferencepool v1.2.0 → llm-d-router-gateway v0.10.0 with its proof: median "
              f"{statistics.median(mig):.2f} s, max {max(mig):.2f} s ({args.deep_runs} runs; verdict: "
              f"{'nothing lost' if results[-1].ok else 'lost'})")
    else:
        print("--deep and migrate skipped: no chart archive or no helm (set GAIE_TUI_CHART_DIRS or --charts)")

    many = "inferenceExtension:\n" + "".join(f"  k{i}: 1\n" for i in range(99_000))
    t = time.perf_counter()
    found = check_text(many, chart)
    print(f"99,000 unknown keys ({len(many) / 1e6:.1f} MB): {time.perf_counter() - t:.2f} s, "
          f"{len(found)} diagnostics (1,000 listed, the rest summed up)")

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
