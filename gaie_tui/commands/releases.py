"""`gaie-tui releases`: every inferencepool and llm-d-router-gateway release in the namespaces you
may list, with chart version, status, the EPP image the live Deployment runs, health, age and
whether it is production. `--history RELEASE` shows one release's revisions.

Also the pieces `rollback` and `uninstall` share: connecting, approval, running an action.

Exit codes: 0 listed; 2 could not run (arguments, cluster, helm).
"""
from __future__ import annotations

import json
import signal
import sys

from ..core.errors import UserError
from ..core.textsafe import clip, visible
from .common import connect, use_color


def add_cluster_arguments(p) -> None:
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current one)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def add_arguments(p) -> None:
    p.add_argument("-A", "--all-namespaces", action="store_true",
                   help="every namespace (an error when the context may not list secrets cluster-wide)")
    p.add_argument("-n", "--namespace", action="append", metavar="NS",
                   help="only this namespace (repeatable); default: every namespace when allowed, else the "
                        "context's namespace")
    p.add_argument("--no-health", action="store_true", help="do not look at the EPP and the pool (helm only)")
    p.add_argument("--history", metavar="RELEASE", help="the revisions of one release: chart version, EPP image "
                                                        "and what changed in the values")
    add_cluster_arguments(p)




def add_action_arguments(p) -> None:
    p.add_argument("release", help="helm release name")
    p.add_argument("-n", "--namespace", help="namespace of the release (default: the one namespace that has it)")
    p.add_argument("--yes", action="store_true", help="approve without asking (required without a terminal)")
    p.add_argument("--record-dir", metavar="DIR", default="gaie-records",
                   help="parent folder of the records (default: ./gaie-records)")
    p.add_argument("--timeout", default="5m0s", metavar="DURATION",
                   help="how long helm waits (helm duration, default 5m0s)")
    p.add_argument("--verify-wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long verification may wait for checks to settle (default 60)")
    add_cluster_arguments(p)


def check_timeout(text: str) -> str:
    import re
    if not re.fullmatch(r"\d+(\.\d+)?(ms|s|m|h)(\d+(\.\d+)?(ms|s|m|h))*", text or ""):
        raise UserError(f"--timeout {text!r} is not a duration", "e.g. --timeout 5m0s or 300s")
    return text


def approve(plan, args) -> bool:
    """--yes approves; a terminal asks (`yes`, or the release name on production); no terminal and
    no --yes cannot approve at all."""
    from ..core.deploy.actions import approved, confirm_text
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("approval is required and there is no terminal to ask on",
                        f"review the plan and rerun with --yes (gaie-tui {plan.action} {plan.release} "
                        f"-n {plan.namespace} --yes)")
    try:
        answer = input(confirm_text(plan))
    except EOFError:
        return False
    return approved(plan, answer)


def print_plan(plan, stream=None) -> None:
    from ..core.cluster.helm import redact_argv
    stream = stream or sys.stderr
    for line in plan.summary():
        print(visible(line), file=stream)
    print("  command: " + visible(" ".join(redact_argv(plan.argv()))), file=stream)


def run_action(plan, cluster, args) -> int:
    """Approve, run with a record, print the outcome; the exit code of `deploy`."""
    from ..core.cluster.checks import table
    from ..core.deploy.actions import ActionEvent, ActionRun
    text = args.format == "text"
    if text:
        print_plan(plan)
    run = ActionRun(plan, cluster=cluster, record_parent=args.record_dir, verify_wait=args.verify_wait,
                    on_event=None)
    if not approve(plan, args):
        out = run.refuse()
        print(f"not approved: nothing was changed. Record: {out.record_dir}", file=sys.stderr)
        if not text:
            _dump(out.to_dict())
        return out.exit_code

    def on_event(ev: ActionEvent) -> None:
        if not text:
            return
        if ev.kind == "step":
            print(visible(f"[{ev.phase}] {ev.message}" + (f" ({ev.status})" if ev.status else "")), flush=True)
        elif ev.kind == "line" and ev.line is not None:
            print(visible(f"  {ev.line.stamp()} {ev.line.text}"), flush=True)

    run.on_event = on_event

    def on_signal(signum, frame) -> None:  # noqa: ARG001
        run.cancel("interrupted")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        outcome = run.run()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if text:
        if outcome.verification:
            print("\nVerification:")
            print(visible(table(outcome.verification, color=use_color(sys.stdout))))
        if outcome.remaining:
            print("\nStill there: " + visible(", ".join(outcome.remaining)))
        if outcome.explanation and outcome.status not in ("rolled-back", "uninstalled"):
            print(visible(f"\n{outcome.explanation.message}\n  → {outcome.explanation.hint}"))
        print(f"\nOutcome: {outcome.status}. Record: {outcome.record_dir}")
    else:
        _dump(outcome.to_dict())
    sys.stdout.flush()
    return outcome.exit_code


def print_diagnosis(diag, stream=None) -> None:
    stream = stream or sys.stderr
    print(f"Release {diag.release} in {diag.namespace} is stuck ({diag.status}):", file=stream)
    for line in diag.explanation:
        print("  " + visible(line), file=stream)
    for ev in diag.events:
        print("    | " + clip(ev, 200), file=stream)
    print(f"  recovery: {diag.recovery.action}" + (f" to revision {diag.recovery.revision}"
                                                   if diag.recovery.revision else "")
          + f" — {visible(diag.recovery.reason)}", file=stream)
    for alt in diag.alternatives:
        print(f"  or: {alt.action}" + (f" to revision {alt.revision}" if alt.revision else "")
              + f" — {visible(alt.reason)}", file=stream)


def _dump(data) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


# ---- the listing ---------------------------------------------------------------------------------
COLUMNS = ("NAMESPACE", "NAME", "CHART", "VERSION", "STATUS", "REV", "AGE", "EPP IMAGE", "HEALTH", "")


def _rows(listing) -> list[tuple[str, ...]]:
    marks = {"pass": "ok", "warn": "warn", "fail": "FAIL", "skip": "-"}
    rows = []
    for r in listing.releases:
        health = marks.get(r.health, r.health) + (f" {r.health_note}" if r.health_note else "")
        rows.append((r.namespace, r.name, r.chart, r.chart_version, r.status + (" (stuck)" if r.stuck else ""),
                     str(r.revision), r.age(), r.image or "-", health, "PROD" if r.production else ""))
    return rows


def format_table(listing) -> str:
    rows = [tuple(clip(c, 70) for c in row) for row in _rows(listing)]
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) if rows else len(COLUMNS[i])
              for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _history(args, cluster, binary) -> int:
    from ..core.deploy.actions import history, locate
    ns, _row = locate(binary, args.history, (args.namespace or [None])[0], cluster.helm_args())
    hist = history(binary, args.history, ns, cluster.helm_args())
    if args.format == "json":
        _dump(hist.to_dict())
        return 0
    print(f"History of release {hist.release} in {hist.namespace}:")
    for rev in hist.revisions:
        when = f"{rev.updated:%Y-%m-%d %H:%M} UTC" if rev.updated else "?"
        print(visible(f"\nrevision {rev.number}  {rev.status}  {when}  chart {rev.chart} {rev.chart_version}  "
                      f"EPP {rev.image or '?'}" + (f"  (rollback to {rev.rollback_of})" if rev.rollback_of else "")
                      + f"\n  {rev.description}"))
        diff = hist.diff(rev.number)
        if rev.number == hist.revisions[0].number:
            continue
        if diff.empty:
            print("  values: unchanged")
        for c in diff.changes:
            print("  values: " + visible(c.describe()))
    return 0


def run(args) -> int:
    from ..core.cluster.kube import ClusterError
    from ..core.cluster.releases import list_releases
    from ..core.production import load_production_contexts
    cluster, binary = connect(args)
    try:
        if args.history:
            return _history(args, cluster, binary)
        patterns, problem = load_production_contexts()
        if problem:
            print(f"gaie-tui: {visible(problem)} (ignored)", file=sys.stderr)
        listing = list_releases(cluster, binary, namespaces=args.namespace, all_namespaces=args.all_namespaces or None,
                                production_patterns=patterns, health=not args.no_health)
    except ClusterError as exc:
        raise UserError(exc.message, exc.hint) from None
    finally:
        cluster.close()
    if args.format == "json":
        _dump(listing.to_dict())
        return 0
    if listing.releases:
        print(format_table(listing))
    else:
        print(f"no inferencepool or llm-d-router-gateway release in {listing.scope.note}")
    for problem in listing.problems:
        print("note: " + visible(problem), file=sys.stderr)
    print(f"\n{len(listing.releases)} release(s) in {listing.scope.note}, context {cluster.context}", file=sys.stderr)
    return 0
