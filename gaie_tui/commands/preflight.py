"""`gaie-tui preflight`: the checks `deploy` runs before changing anything — and nothing else.

Exit codes: 0 no check failed; 1 a check failed; 2 could not run (arguments, helm, cluster unreachable).
"""
from __future__ import annotations

import json
import sys

from .common import use_color
from .deploy import add_plan_arguments, build_plan


def add_arguments(p) -> None:
    # the deploy command's arguments, except that -f may be repeated: preflight takes layered
    # values as helm does (-f base.yaml -f overlay.yaml, later files win)
    original = p.add_argument

    def add(*names, **kw):
        if "-f" in names:
            kw.update(action="append", help="values file; repeat it to layer files as helm does (later files win)")
        return original(*names, **kw)

    p.add_argument = add
    try:
        add_plan_arguments(p)
    finally:
        del p.add_argument
    p.add_argument("--yes", action="store_true", help=argparse_suppress())
    p.add_argument("--record-dir", metavar="DIR", help=argparse_suppress())


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS  # accepted so the same command line works for preflight and deploy


def layered_plan(args):
    """(plan, chart, layers): several -f files are merged as helm merges them into one values file
    for the plan (null kept: it still deletes the chart's default), checked layer by layer."""
    import shutil

    from ..core.safeio import private_temp_dir, write_text
    from ..core.values.layers import merge_layers
    from .deploy import read_values
    files = list(args.values)
    if len(files) == 1:
        args.values = files[0]
        plan, chart = build_plan(args)
        return plan, chart, None
    layers = [(f, read_values(f)) for f in files]
    layered = merge_layers(layers)
    if not layered.ok:
        bad = next(d for d in layered.source.diagnostics if d.severity == "error")
        from ..core.errors import UserError
        raise UserError(f"{bad.file}:{bad.line}:{bad.column}: {bad.message}", "fix the YAML (gaie-tui validate shows it)")
    from ..core.values.generate import chart_from_header
    header = next((r for r in (chart_from_header(t) for _, t in layers) if r), None)
    merged = (f"# gaie-tui: chart={header}\n" if header else "") + json.dumps(layered.values, indent=2) + "\n"
    tmp = private_temp_dir("gaie-tui-layers-")
    try:
        args.values = str(write_text(tmp / "merged-values.yaml", merged, private=True))
        plan, chart = build_plan(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return plan, chart, layered


def layered_values_check(layered, chart):
    """The values check of `-f a -f b`: every finding named by the file and line that set it."""
    from ..core.check.checker import check_layered, could_not_check
    from ..core.cluster.checks import FAIL, PASS, WARN, Check
    from ..core.values.diagnostics import counts
    looked = f"{' + '.join(layered.files)} against {chart.name} {chart.version}"
    diags = check_layered(layered, chart)
    c = counts(diags)
    errs = [d for d in diags if d.severity == "error"]
    warns = [d for d in diags if d.severity == "warning"]
    details = [f"{d.severity} {d.file}:{d.line}: {d.path or '(file)'}: {d.message}" for d in (errs + warns)[:12]]
    files = " ".join(f"-f {f}" for f in layered.files)
    if could_not_check(diags):
        return Check("values", "Values file", FAIL, "could not check the values (the checker failed)",
                     next(d.hint for d in diags if d.code in ("checker-crashed", "chart-unusable")), looked, details)
    if errs:
        return Check("values", "Values file", FAIL,
                     f"{c['error']} error{'s' if c['error'] != 1 else ''}, {c['warning']} "
                     f"warning{'s' if c['warning'] != 1 else ''}",
                     f"fix the errors (gaie-tui validate {files} shows hints); helm would silently ignore or "
                     "misread these keys", looked, details)
    if warns:
        return Check("values", "Values file", WARN, f"{len(warns)} warning{'s' if len(warns) != 1 else ''}",
                     "read them; deploy if intended", looked, details)
    return Check("values", "Values file", PASS, "no problems found", "", looked)


def run(args) -> int:
    from ..core.cluster.checks import FAIL, Check, cell, table, worst
    from ..core.cluster.kube import Cluster, ClusterError
    from ..core.cluster.preflight import run_preflight, values_check
    from ..core.deploy.plan import RenderFailed, render, summary
    plan, chart, layered = layered_plan(args)
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
    checks.append(values_check(plan.values_text, chart) if layered is None else layered_values_check(layered, chart))
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
