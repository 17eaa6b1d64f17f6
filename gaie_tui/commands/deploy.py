"""`gaie-tui deploy`: preflight, helm upgrade --install, verify, record.

Exit codes: 0 deployed and verified; 1 a preflight check, helm or a verification check failed;
2 could not run (bad arguments, no approval, no helm, cluster configuration); 130 interrupted.
"""
from __future__ import annotations

import json
import signal
import sys

from ..core.errors import UserError
from .common import add_chart_argument, chart_ref, knowledge_store, use_color


def add_cluster_arguments(p) -> None:
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def add_plan_arguments(p) -> None:
    p.add_argument("-f", "--values", metavar="FILE", required=True, action="append",
                   help="the values file to deploy; repeat it to layer files as helm does (-f base.yaml "
                        "-f overlay.yaml: passed to helm in this order, later files win)")
    p.add_argument("--release", required=True, help="helm release name")
    p.add_argument("--namespace", required=True, help="namespace of the release")
    add_chart_argument(p)
    p.add_argument("--create-namespace", action="store_true", help="let helm create the namespace if missing")
    p.add_argument("--timeout", default="5m0s", metavar="DURATION",
                   help="how long helm waits for readiness (helm duration, default 5m0s); the deploy step "
                        "ends at most 10 s after it")
    add_cluster_arguments(p)


def add_arguments(p) -> None:
    add_plan_arguments(p)
    p.add_argument("--yes", action="store_true", help="approve the plan without asking (required without a terminal)")
    p.add_argument("--record-dir", metavar="DIR", default="gaie-records",
                   help="parent folder of the records (default: ./gaie-records)")
    p.add_argument("--verify-wait", type=float, default=120.0, metavar="SECONDS",
                   help="how long verification may wait for checks to settle (default 120)")


def read_values(path: str) -> str:
    # bounded (`-f /dev/zero` costs 2 MB, not the machine's memory) and one line on every failure,
    # a folder said to be a folder
    from .common import read_values_text
    return read_values_text(path)


def build_plan(args):
    """(plan, chart) from the command-line arguments: every `-f` a layer, in the order given; the
    chart from --chart, else the first `# gaie-tui: chart=` line among the layers."""
    import re

    from ..core.deploy.plan import ValuesLayer, make_plan
    from ..core.values.generate import chart_from_header
    files = args.values if isinstance(args.values, list) else [args.values]
    layers = [ValuesLayer(f, read_values(f)) for f in files]
    header = next((ref for ref in (chart_from_header(layer.text) for layer in layers) if ref), None)
    chart = knowledge_store().get(chart_ref(args.chart, header))
    if not re.fullmatch(r"\d+(\.\d+)?(ms|s|m|h)(\d+(\.\d+)?(ms|s|m|h))*", args.timeout or ""):
        raise UserError(f"--timeout {args.timeout!r} is not a duration", "e.g. --timeout 5m0s or 300s")
    plan = make_plan(chart, layers, release=args.release, namespace=args.namespace, kubeconfig=args.kubeconfig,
                     context=args.context, create_namespace=args.create_namespace, wait_timeout=args.timeout)
    return plan, chart


def describe_plan(plan) -> str:
    from ..core.textsafe import visible
    lines = [f"Plan: deploy {plan.chart_name} {plan.chart_version} as release {plan.release} in namespace "
             f"{plan.namespace}" + (" (namespace created if missing)" if plan.create_namespace else ""),
             f"  chart:   {visible(plan.helm_chart)}" + ("" if plan.archive else f" --version {plan.chart_version}"),
             f"  context: {visible(plan.context or '(current context)')}"
             + (f" in {visible(plan.kubeconfig)}" if plan.kubeconfig else ""),
             "  values:  " + ", ".join(visible(layer.name) for layer in plan.values)
             + ("   (layered in this order, later files win)" if plan.layered else ""),
             "  command: " + visible(" ".join(plan.shown_argv())) + "   (values files in the record folder)"]
    return "\n".join(lines)


def ask(plan) -> bool:
    """The typed approval on a terminal, after the plan and its preflight were shown."""
    print(describe_plan(plan), file=sys.stderr)   # context and paths come from the kubeconfig: made visible there
    try:
        answer = input(f"Deploy release {plan.release} to namespace {plan.namespace}? Type 'yes' to approve: ")
    except EOFError:
        return False
    return answer.strip().lower() == "yes"


def run(args) -> int:
    from ..core.cluster.checks import cell, table
    from ..core.deploy.engine import DeployEngine, Event
    plan, chart = build_plan(args)        # bad arguments are said first; nothing asks the cluster yet
    if not args.yes and not sys.stdin.isatty():
        raise UserError("approval is required and there is no terminal to ask on",
                        "review the plan (gaie-tui preflight …) and rerun with --yes")
    text = args.format == "text"
    color = use_color(sys.stdout)

    def on_event(ev: Event) -> None:
        if not text:
            return
        if ev.kind == "step":
            print(f"[{ev.phase}] {cell(ev.message)}" + (f" ({ev.status})" if ev.status else ""), flush=True)
        elif ev.kind == "line" and ev.line is not None:
            print(f"  {ev.line.stamp()} {cell(ev.line.text)}", flush=True)  # helm's output: outside text

    # With --yes the approval is given up front and the record exists from the first step; on a
    # terminal the plan and its preflight are shown first and the record starts at the typed yes.
    engine = DeployEngine(plan, chart=chart, record_parent=args.record_dir, verify_wait=args.verify_wait,
                          on_event=on_event, approved_by="--yes" if args.yes else None)

    def on_signal(signum, frame) -> None:  # noqa: ARG001
        engine.cancel("interrupted", signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        outcome = engine.run(until="preflight" if not args.yes else "record")
        if not outcome.finished:
            if text:
                print("\nPreflight:")
                print(table(outcome.preflight, color=color))
            if not ask(plan):
                print("not approved: nothing was changed", file=sys.stderr)
                return 2
            engine.approve("typed yes on the terminal")
            outcome = engine.run()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if text:
        print()
        print("Preflight:")
        print(table(outcome.preflight, color=color))
        if outcome.observed:
            print("\nWhile helm waited:")
            print(table(outcome.observed, color=color))
        if outcome.verification:
            print("\nVerification:")
            print(table(outcome.verification, color=color))
        if outcome.explanation:
            print(f"\n{cell(outcome.explanation.message)}\n  → {cell(outcome.explanation.hint)}")
        if outcome.reason:
            print(f"\n{cell(outcome.reason)}")
        print(f"\nOutcome: {outcome.status}. Record: {cell(outcome.record_dir or '(none: nothing was approved)')}")
    else:
        json.dump(outcome.to_dict(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    sys.stdout.flush()
    return outcome.exit_code
