"""`gaie-tui verify`: the verification checks of an existing release.

Exit codes: 0 every check passed (warnings and skips allowed); 1 a check failed; 2 could not run.
"""
from __future__ import annotations

import json
import sys

from .common import connect, use_color
from .deploy import add_cluster_arguments


def add_arguments(p) -> None:
    p.add_argument("--release", required=True, help="helm release name")
    p.add_argument("--namespace", required=True, help="namespace of the release")
    p.add_argument("--chart", metavar="REF", help="the chart version you expect (e.g. inferencepool@v1.5.0); "
                                                  "default: whatever is deployed")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="refresh until the checks settle or this many seconds pass (default 0: look once)")
    add_cluster_arguments(p)


def run(args) -> int:
    from ..core.charts.layouts import LAYOUTS
    from ..core.charts.refs import parse_ref
    from ..core.cluster import helm as helm_mod
    from ..core.cluster.checks import FAIL, cell, table, worst
    from ..core.cluster.kube import ClusterError
    from ..core.deploy.release import expected_for_release
    from ..core.errors import UserError
    from ..core.names import check_namespace, check_release
    from ..core.verify.refresh import verify
    check_release(args.release)
    check_namespace(args.namespace)
    if args.wait < 0:
        raise UserError("--wait cannot be negative", "e.g. --wait 60")
    ref = parse_ref(args.chart) if args.chart else None
    cluster, binary = connect(args)
    kube_args = cluster.helm_args()
    try:
        exp, _rel = expected_for_release(binary, args.release, args.namespace, kube_args,
                                         chart_name=(ref.family or "") if ref else "",
                                         chart_version=(ref.version or "") if ref else "")
        path = LAYOUTS["D"].match_labels if exp.chart_name == "llm-d-router-gateway" else LAYOUTS["A"].match_labels
        checks = verify(cluster, exp, wait=args.wait, match_labels_path=path,
                        release_info=lambda: _release_row(helm_mod, binary, args.release, args.namespace, kube_args))
    except ClusterError as exc:
        raise UserError(exc.message, exc.hint) from None
    finally:
        cluster.close()
    code = 1 if worst(checks) == FAIL else 0
    if args.format == "json":
        from ..core.redact import redact_tree
        # evidence quotes the cluster (log lines, env, annotations): as data, unchanged, but never a token
        json.dump(redact_tree({"status": worst(checks), "exit_code": code, "release": args.release,
                               "namespace": args.namespace,
                               "chart": {"name": exp.chart_name, "version": exp.chart_version},
                               "checks": [c.to_dict() for c in checks]}), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table(checks, color=use_color(sys.stdout)))
        print(f"\nverify: {worst(checks)} (release {cell(args.release)} in {cell(args.namespace)}, "
              f"context {cell(cluster.context)})")
    return code


def _release_row(helm_mod, binary: str, release: str, namespace: str, kube_args: list[str]) -> dict | None:
    row, error = helm_mod.release_row(binary, release, namespace, kube_args)
    if error:
        raise RuntimeError(error)   # the release check says helm could not be asked, not "no release"
    return row
