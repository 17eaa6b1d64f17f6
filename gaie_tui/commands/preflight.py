"""`gaie-tui preflight`: the checks `deploy` runs before changing anything — and nothing else.

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
    from ..core.cluster.checks import FAIL, Check, cell, table, worst
    from ..core.cluster.kube import Cluster, ClusterError
    from ..core.cluster.preflight import run_preflight, values_check
    from ..core.deploy.plan import RenderFailed, render, summary
    plan, chart = build_plan(args)
    checks: list[Check] = []
    lines: list[str] = []
    try:
        exp = render(plan)
        checks.append(Check("render", "Chart renders with these values", "pass", f"{len(exp.objects)} objects",
                            "", f"helm template {plan.release} {plan.helm_chart}"))
        lines = summary(plan, exp)
    except RenderFailed as exc:
        exp = None
        checks.append(Check("render", "Chart renders with these values", FAIL, exc.message, exc.hint,
                            f"helm template {plan.release} {plan.helm_chart}", exc.output.splitlines()[-12:]))
    checks.append(values_check(plan.values_text, chart))
    cannot_run = False
    if exp is not None:
        try:
            cluster = Cluster.connect(plan.kubeconfig, plan.context)
            try:
                checks += run_preflight(cluster, exp, create_namespace=plan.create_namespace,
                                        match_labels_path=plan.match_labels_path)
            finally:
                cluster.close()
        except ClusterError as exc:
            checks.append(Check("cluster", "Cluster reachable", FAIL, exc.message, exc.hint,
                                f"context {plan.context or '(current)'}"))
        cannot_run = any(c.id in ("cluster", "cluster-access") and c.status == FAIL for c in checks)
    code = 2 if cannot_run else (1 if worst(checks) == FAIL else 0)
    if args.format == "json":
        from ..core.redact import redact_tree
        json.dump(redact_tree({"status": worst(checks), "exit_code": code, "release": plan.release,
                               "namespace": plan.namespace,
                               "chart": {"name": plan.chart_name, "version": plan.chart_version, "ref": plan.chart_ref},
                               "summary": lines, "checks": [c.to_dict() for c in checks]}), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(f"- {cell(line)}")
        print(table(checks, color=use_color(sys.stdout)))
        print(f"\npreflight: {worst(checks)} ({cell(plan.chart_name)} {cell(plan.chart_version)}, release "
              f"{cell(plan.release)} in {cell(plan.namespace)}); nothing was changed")
    return code
