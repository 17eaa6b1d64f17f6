#!/usr/bin/env python3
"""Write an SVG screenshot of each wizard screen to screenshots/ (shown in the README).

    python3 dev.py screenshots          # or: .venv/bin/python scripts/screenshots.py [--size 100x30]

The screens run against a scripted cluster (no network, no helm) so the pictures are the same on
every machine; the Setup → Record path is the one a user takes in `gaie-tui demo`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _fake_services(tmp: Path):
    from gaie_tui.ui.services import CheckRow, ClusterView, DeployResult, Pod, Services

    class Scripted(Services):
        def contexts(self):
            return ["gaie-sim"], "gaie-sim"

        def connect(self, context):
            return ClusterView("gaie-sim", "http://127.0.0.1:6443", ["default", "llm-d"], "llm-d")

        def secret_names(self, ns):
            return ["llm-d-hf-token"]

        def is_hf_candidate(self, name):
            return "hf" in name

        def pods(self, ns):
            return [Pod(f"vllm-qwen3-{i}", {"llm-d.ai/inferenceServing": "true", "app": "vllm-qwen3"}, True, "Running")
                    for i in range(2)]

        def deployed_values(self, r, n):
            return None

        def render_objects(self, plan):
            r = plan.release
            return [f"ServiceAccount/{r}-epp", f"ConfigMap/{r}-epp", f"Role/{r}-epp", f"RoleBinding/{r}-epp",
                    f"Service/{r}-epp", f"Deployment/{r}-epp", f"InferencePool/{r}", f"DestinationRule/{r}-epp"], ""

        def preflight(self, plan):
            return [CheckRow("namespace", "Namespace", "pass", "llm-d exists"),
                    CheckRow("crd-pool", "InferencePool CRD", "pass", "served at inference.networking.k8s.io/v1"),
                    CheckRow("access", "Permissions", "pass", "you may create every rendered kind"),
                    CheckRow("secret", "HF token secret", "pass", "llm-d-hf-token has key HF_TOKEN"),
                    CheckRow("model-servers", "Model-server pods", "pass", "2 Ready pods match the selector")]

        def deploy(self, plan, on_line, cancel):
            lines = [f"Release \"{plan.release}\" does not exist. Installing it now.",
                     f"NAME: {plan.release}", "LAST DEPLOYED: Fri Nov 27 14:00:00 2026",
                     f"NAMESPACE: {plan.namespace}", "STATUS: deployed", "REVISION: 1", "TEST SUITE: None"]
            on_line("$ " + " ".join(plan.helm_argv("helm", "values.yaml")))
            for line in lines:
                on_line(line)
            return DeployResult(True, revision=1, duration=6.0, lines=lines)

        def verify(self, plan, selector, label):
            r = plan.release
            return [
                CheckRow("release", "helm release", "pass", f"deployed, chart {plan.chart_version}, revision 1",
                         [f"helm get metadata {r}: deployed"]),
                CheckRow("epp-deployment", "EPP Deployment", "pass", "1/1 ready", [f"deployment {r}-epp"]),
                CheckRow("epp-image", "EPP image", "pass", "ghcr.io/llm-d/llm-d-inference-scheduler:v0.8.0", []),
                CheckRow("epp-pods", "EPP pods", "pass", "1 pod(s), 0 restart(s)",
                         [f"{r}-epp-7d9c-x2k: ready=True restarts=0"]),
                CheckRow("pool", "InferencePool", "pass", "selector llm-d.ai/inferenceServing=true", []),
                CheckRow("model-servers", "pool selector matches", "pass", "2 Ready model-server pod(s)",
                         ["selector llm-d.ai/inferenceServing=true", "vllm-qwen3-0", "vllm-qwen3-1"]),
            ]

    return Scripted(context="gaie-sim", record_dir=str(tmp / "gaie-records"))


async def shoot(out: Path, size: tuple[int, int]) -> list[Path]:
    from gaie_tui.ui.app import GaieApp
    from gaie_tui.ui.screens import values as values_screen
    values_screen.DEEP_DELAY = 3600
    tmp = Path(tempfile.mkdtemp(prefix="gaie-shots-"))
    os.environ["GAIE_TUI_STATE_DIR"] = str(tmp / "state")
    app = GaieApp(_fake_services(tmp), resume=False, cursor_blink=False, clock=lambda: 0.0,
                  simulated_banner="SIMULATED CLUSTER (screenshots)")
    written = []
    steps = [("setup", []), ("values", ["ctrl+n"]), ("review", ["ctrl+n"]), ("deploy", ["a", "y"]),
             ("verify", ["ctrl+n"]), ("record", ["ctrl+n"])]
    async with app.run_test(size=size, notifications=False) as pilot:
        await pilot.pause(0.5)
        for name, keys in steps:
            for k in keys:
                await pilot.press(k)
                await pilot.pause(0.4)
            await pilot.pause(0.4)
            path = out / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"gaie-tui — {name}"), encoding="utf-8")
            written.append(path)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100x30", help="COLSxROWS (default 100x30)")
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in asyncio.run(shoot(out, (cols, rows))):
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
