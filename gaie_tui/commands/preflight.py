"""`gaie-tui preflight`: the checks `deploy` runs before changing anything — and nothing else.

It is the deploy engine run up to its preflight phase (plan → render → preflight) with no approval,
so it checks exactly what `deploy` and the wizard's Review check: the same render (every `-f` layer
passed to helm in order), the same values check (layered values merged as helm merges them, each
finding named by its file and line) and the same cluster checks. Nothing is recorded.

Exit codes: 0 no check failed; 1 a check failed; 2 could not run (arguments, helm, cluster unreachable).
"""
from __future__ import annotations

import json
import sys

from .common import use_color
from .deploy import add_plan_arguments, build_plan


def add_arguments(p) -> None:
    add_plan_arguments(p)
    p.add_argument("--yes", action="store_true", help=argparse_suppress())
    p.add_argument("--record-dir", metavar="DIR", help=argparse_suppress())


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS  # accepted so the same command line works for preflight and deploy


def run(args) -> int:
    from ..core.cluster.checks import FAIL, cell, table, worst
    from ..core.deploy.engine import DeployEngine
    plan, chart = build_plan(args)
    # no approval is given, so the engine stops after preflight and never creates a record
    engine = DeployEngine(plan, chart=chart)
    try:
        outcome = engine.run(until="preflight")
    finally:
        if engine.cluster is not None:
            engine.cluster.close()
    if outcome.status == "interrupted":
        raise KeyboardInterrupt
    if outcome.status == "crashed":   # a bug: the engine logged its traceback and names the log
        print(f"gaie-tui: internal error: {cell(outcome.reason)}", file=sys.stderr)
        return 3
    if outcome.status == "error":
        from ..core.errors import UserError
        ex = outcome.explanation
        raise UserError(ex.message if ex else outcome.reason, ex.hint if ex else "")
    checks = outcome.preflight
    lines = outcome.summary
    cannot_run = any(c.id in ("cluster", "cluster-access") and c.status == FAIL for c in checks)
    code = 2 if cannot_run else (1 if worst(checks) == FAIL else 0)
    if args.format == "json":
        from ..core.redact import redact_tree
        json.dump(redact_tree({"status": worst(checks), "exit_code": code, "release": plan.release,
                               "namespace": plan.namespace,
                               "chart": {"name": plan.chart_name, "version": plan.chart_version, "ref": plan.chart_ref},
                               "values": [layer.name for layer in plan.values],
                               "summary": lines, "checks": [c.to_dict() for c in checks]}), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(f"- {cell(line)}")
        print(table(checks, color=use_color(sys.stdout)))
        print(f"\npreflight: {worst(checks)} ({cell(plan.chart_name)} {cell(plan.chart_version)}, release "
              f"{cell(plan.release)} in {cell(plan.namespace)}); nothing was changed")
    return code
