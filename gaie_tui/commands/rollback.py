"""`gaie-tui rollback RELEASE [--revision N]`: roll a release back (by default to the newest earlier
revision that deployed), verify it like a deploy, and leave a record. A stuck release
(pending-*/uninstalling) is explained first.

Exit codes (as `deploy`): 0 rolled back and verified; 1 helm or a verification check failed;
2 could not run (arguments, no approval, no helm, cluster unreachable); 130 interrupted.
"""
from __future__ import annotations


def add_arguments(p) -> None:
    from .releases import add_action_arguments
    add_action_arguments(p)
    p.add_argument("--revision", type=int, metavar="N",
                   help="the revision to restore (default: the newest earlier revision that deployed)")


def run(args) -> int:
    from ..core.cluster.kube import ClusterError
    from ..core.cluster.releases import STUCK_STATES
    from ..core.deploy.actions import diagnose, history, locate, plan_rollback, stuck_notes
    from ..core.errors import UserError
    from .common import connect
    from .releases import check_timeout, print_diagnosis, run_action
    check_timeout(args.timeout)
    if args.revision is not None and args.revision < 1:
        raise UserError("--revision must be 1 or more", "gaie-tui releases --history RELEASE lists the revisions")
    cluster, binary = connect(args)
    try:
        kube = cluster.helm_args()
        ns, row = locate(binary, args.release, args.namespace, kube)
        hist = history(binary, args.release, ns, kube)
        diag = None
        if str(row.get("status", "")) in STUCK_STATES:
            diag = diagnose(binary, args.release, ns, kube, cluster, hist=hist)
            if args.format == "text":
                print_diagnosis(diag)
        plan = plan_rollback(args.release, ns, kube, revision=args.revision, helm=binary, context=cluster.context,
                             wait_timeout=args.timeout, hist=hist)
        if diag is not None:
            plan.why = stuck_notes(diag)
        return run_action(plan, cluster, args)
    except ClusterError as exc:
        raise UserError(exc.message, exc.hint) from None
    finally:
        cluster.close()
