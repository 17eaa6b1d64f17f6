"""`gaie-tui uninstall RELEASE`: list every object the release's manifest holds, then (approved)
`helm uninstall --wait`, check each object is gone, and leave a record. A stuck release
(pending-*/uninstalling) is explained first.

Exit codes (as `deploy`): 0 uninstalled and every object gone; 1 helm failed or objects remain;
2 could not run (arguments, no approval, no helm, cluster unreachable); 130 interrupted.
"""
from __future__ import annotations


def add_arguments(p) -> None:
    from .releases import add_action_arguments
    add_action_arguments(p)


def run(args) -> int:
    from ..core.cluster.kube import ClusterError
    from ..core.cluster.releases import STUCK_STATES
    from ..core.deploy.actions import diagnose, locate, plan_uninstall, stuck_notes
    from ..core.errors import UserError
    from .common import connect
    from .releases import check_timeout, print_diagnosis, run_action
    check_timeout(args.timeout)
    cluster, binary = connect(args)
    try:
        kube = cluster.helm_args()
        ns, row = locate(binary, args.release, args.namespace, kube)
        diag = None
        if str(row.get("status", "")) in STUCK_STATES:
            diag = diagnose(binary, args.release, ns, kube, cluster)
            if args.format == "text":
                print_diagnosis(diag)
        plan = plan_uninstall(args.release, ns, kube, helm=binary, context=cluster.context, wait_timeout=args.timeout)
        if diag is not None:
            plan.why = stuck_notes(diag)
        return run_action(plan, cluster, args)
    except ClusterError as exc:
        raise UserError(exc.message, exc.hint) from None
    finally:
        cluster.close()
