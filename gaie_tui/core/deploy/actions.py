"""Actions on a release that already exists: its history (chart version, EPP image and values of
every revision, and what changed between them), rollback to a chosen revision, uninstall (every
object that will be deleted listed first), stuck-release recovery (what happened, from the release
record and the events, and the recovery that fits), and the diff an upgrade's Review shows (values
and manifest, `helm template` of the new values against `helm get manifest`).

Everything that changes the cluster is an `ActionRun` of an approved `ActionPlan`: helm runs
streamed and cancellable, the outcome verified (a rollback is verified like a deploy; an uninstall
by asking for every object it should have deleted), and a record written from the first step on,
exactly like a deploy's. The wizard and the headless `rollback`/`uninstall` commands both drive it.
"""
from __future__ import annotations

import difflib
import json
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import yaml

from ..cluster import helm as helm_mod
from ..cluster.checks import FAIL, PASS, Check, failed, worst
from ..cluster.preflight import PLURALS
from ..cluster.releases import STUCK_STATES, parse_helm_time, split_chart
from ..errors import UserError
from ..names import check_namespace, check_release, epp_name
from ..redact import redact
from ..safeio import private_temp_dir, write_text
from ..verify.expected import Expected, expected_from_objects, parse_manifest
from ..verify.refresh import verify
from .record import DEFAULT_PARENT, Record, iso

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_CANCELLED = 0, 1, 2, 130
GOOD_STATES = ("deployed", "superseded")
# a pending state younger than this may be a helm that is still running (CI job, colleague)
STILL_RUNNING_WINDOW = 15 * 60
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}


# ---- values and manifest diffs (pure) -------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    path: str          # dotted, [i] for list items
    old: object        # None when added
    new: object        # None when removed
    kind: str          # added, removed, changed

    def describe(self) -> str:
        def show(v):
            return redact(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
        if self.kind == "added":
            return f"{self.path}: added {show(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {show(self.old)})"
        return f"{self.path}: {show(self.old)} → {show(self.new)}"


@dataclass
class ValuesDiff:
    changes: list[Change] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)   # unified diff of the YAML, redacted

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict:
        return {"changes": [{**asdict(c), "old": _redact_value(c.old), "new": _redact_value(c.new)}
                            for c in self.changes], "lines": self.lines}


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def _key(path: str, k) -> str:
    k = str(k)
    plain = k.replace("_", "").replace("-", "").isalnum()
    return (f"{path}.{k}" if path else k) if plain else f'{path}["{k}"]'


def value_changes(old, new, path: str = "") -> list[Change]:
    """Every leaf that differs between two values trees."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Change] = []
        for k in list(old) + [k for k in new if k not in old]:
            p = _key(path, k)
            if k not in new:
                out.append(Change(p, old[k], None, "removed"))
            elif k not in old:
                out.append(Change(p, None, new[k], "added"))
            else:
                out += value_changes(old[k], new[k], p)
        return out
    if old == new:
        return []
    return [Change(path or "(values)", old, new, "changed")]


def _yaml(values) -> list[str]:
    if not values:
        return []
    return yaml.safe_dump(values, sort_keys=True, default_flow_style=False).splitlines()


def values_diff(old: dict | None, new: dict | None, old_name: str = "deployed", new_name: str = "new") -> ValuesDiff:
    old, new = old or {}, new or {}
    lines = list(difflib.unified_diff(_yaml(old), _yaml(new), old_name, new_name, lineterm="", n=2))
    return ValuesDiff(value_changes(old, new), [redact(ln) for ln in lines])


@dataclass
class ManifestDiff:
    added: list[str] = field(default_factory=list)     # Kind/name only in the new manifest
    removed: list[str] = field(default_factory=list)   # Kind/name only in the deployed one (helm deletes them)
    changed: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)     # unified diff, object by object, redacted

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict:
        return asdict(self)


def _objects_by_key(text: str, namespace: str) -> dict[str, dict]:
    out = {}
    for obj in parse_manifest(text, namespace):
        meta = obj.get("metadata") or {}
        out[f"{obj.get('kind')}/{meta.get('name', '')}"] = obj
    return out


def manifest_diff(old_text: str, new_text: str, namespace: str) -> ManifestDiff:
    """What helm would change: object by object, each compared as sorted YAML (order and comments
    in the templates do not count)."""
    old, new = _objects_by_key(old_text, namespace), _objects_by_key(new_text, namespace)
    diff = ManifestDiff(added=sorted(k for k in new if k not in old), removed=sorted(k for k in old if k not in new))
    for key in sorted(set(old) | set(new)):
        a = yaml.safe_dump(old[key], sort_keys=True).splitlines() if key in old else []
        b = yaml.safe_dump(new[key], sort_keys=True).splitlines() if key in new else []
        if a == b:
            continue
        if key in old and key in new:
            diff.changed.append(key)
        diff.lines += [redact(ln) for ln in difflib.unified_diff(a, b, f"deployed {key}", f"new {key}",
                                                                  lineterm="", n=3)]
    return diff


# ---- history ----------------------------------------------------------------------------------------
@dataclass
class Revision:
    number: int
    status: str
    chart: str
    chart_version: str
    app_version: str = ""
    updated: datetime | None = None
    description: str = ""
    rollback_of: int | None = None     # helm's rollback_revision: this revision restored that one
    image: str = ""                    # the EPP image in this revision's manifest
    values: dict = field(default_factory=dict)   # the user-supplied values of this revision
    manifest: str = ""

    @property
    def good(self) -> bool:
        return self.status in GOOD_STATES

    def to_dict(self, with_manifest: bool = False) -> dict:
        d = asdict(self)
        d["updated"] = self.updated.isoformat() if self.updated else None
        d["values"] = _redact_value(self.values)
        if not with_manifest:
            d.pop("manifest")
        return d


@dataclass
class History:
    release: str
    namespace: str
    revisions: list[Revision]          # oldest first

    def get(self, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.number == number), None)

    @property
    def current(self) -> Revision | None:
        return self.revisions[-1] if self.revisions else None

    def last_good(self, before: int | None = None) -> Revision | None:
        """The newest revision that deployed (before `before`, when given): where a rollback goes."""
        limit = before if before is not None else (self.current.number + 1 if self.current else 0)
        return next((r for r in reversed(self.revisions) if r.number < limit and r.good), None)

    def diff(self, number: int) -> ValuesDiff:
        """What changed in the values from the revision before `number` to `number`."""
        rev = self.get(number)
        if rev is None:
            raise UserError(f"release {self.release} has no revision {number}",
                            f"revisions: {', '.join(str(r.number) for r in self.revisions)}")
        prev = next((r for r in reversed(self.revisions) if r.number < number), None)
        return values_diff(prev.values if prev else {}, rev.values,
                           f"revision {prev.number}" if prev else "(nothing)", f"revision {number}")

    def to_dict(self) -> dict:
        return {"release": self.release, "namespace": self.namespace,
                "revisions": [{**r.to_dict(), "values_diff": self.diff(r.number).to_dict()} for r in self.revisions]}


def epp_image_of(manifest: str, release: str, namespace: str, chart: str = "") -> str:
    exp = expected_from_objects(parse_manifest(manifest, namespace), release=release, namespace=namespace,
                                chart_name=chart)
    return exp.epp_image


def history(helm: str, release: str, namespace: str, kube_args: list[str], *, limit: int = 20,
            details: bool = True) -> History:
    """Every revision helm keeps (the last `limit`), each with chart version, EPP image and values
    (`details`: one `helm get values` and one `helm get manifest` per revision)."""
    check_release(release)
    check_namespace(namespace)
    rows = helm_mod.query_json(helm_mod.history_argv(helm, release, namespace, kube_args)) or []
    revisions = []
    for row in rows[-limit:]:
        chart, version = split_chart(str(row.get("chart", "")))
        rb = row.get("rollback_revision")
        revisions.append(Revision(int(row.get("revision") or 0), str(row.get("status", "")), chart, version,
                                  str(row.get("app_version", "") or ""), parse_helm_time(row.get("updated")),
                                  str(row.get("description", "") or ""), int(rb) if rb else None))
    if details and revisions:
        def fill(rev: Revision) -> None:
            rev.values = helm_mod.query_json(helm_mod.get_values_argv(helm, release, namespace, rev.number,
                                                                      kube_args)) or {}
            rev.manifest = helm_mod.query_text(helm_mod.get_manifest_argv(helm, release, namespace, rev.number,
                                                                          kube_args))
            rev.image = epp_image_of(rev.manifest, release, namespace, rev.chart)

        # helm processes mostly wait on the API server: a few at a time
        with ThreadPoolExecutor(max_workers=min(4, len(revisions))) as pool:
            list(pool.map(fill, revisions))
    return History(release, namespace, sorted(revisions, key=lambda r: r.number))


# ---- upgrade: what Review shows ----------------------------------------------------------------------
@dataclass
class UpgradeDiff:
    release: str
    namespace: str
    deployed_revision: int
    deployed_chart: str               # chart-version deployed now
    new_chart: str
    values: ValuesDiff
    manifest: ManifestDiff

    def to_dict(self) -> dict:
        return {"release": self.release, "namespace": self.namespace, "deployed_revision": self.deployed_revision,
                "deployed_chart": self.deployed_chart, "new_chart": self.new_chart,
                "values": self.values.to_dict(), "manifest": self.manifest.to_dict()}


def render_text(plan) -> str:
    """`helm template` of a deploy Plan's chart and values: the manifest an upgrade would apply."""
    folder = private_temp_dir("gaie-tui-template-")
    try:
        values = write_text(folder / "values.yaml", plan.values_text, private=True)
        argv = helm_mod.template_argv(plan.helm, release=plan.release, chart=plan.helm_chart,
                                      version=None if plan.archive else plan.chart_version,
                                      namespace=plan.namespace, values_file=str(values))
        rc, out, err = helm_mod.run_capture(argv, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if rc != 0:
        last = next((ln for ln in reversed(err.splitlines()) if ln.strip()), f"exit {rc}")
        raise UserError(f"the chart could not be rendered with these values: {last[:300]}",
                        "fix the values (gaie-tui validate); helm's message names the key")
    return out


def upgrade_diff(plan, kube_args: list[str] | None = None) -> UpgradeDiff:
    """The values diff (deployed user values → the plan's values) and the manifest diff (`helm get
    manifest` of the deployed release → `helm template` of the plan) for an upgrade's Review."""
    kube_args = plan.kube_args() if kube_args is None else kube_args
    row = helm_mod.release_status(plan.helm, plan.release, plan.namespace, kube_args)
    if row is None:
        raise UserError(f"no release {plan.release} in namespace {plan.namespace}: this is a new install",
                        "nothing to compare with; Review shows the objects helm template renders")
    deployed_values = helm_mod.query_json(helm_mod.get_values_argv(plan.helm, plan.release, plan.namespace, None,
                                                                   kube_args)) or {}
    deployed_manifest = helm_mod.query_text(helm_mod.get_manifest_argv(plan.helm, plan.release, plan.namespace, None,
                                                                       kube_args))
    new_values = yaml.safe_load(plan.values_text or "") or {}
    return UpgradeDiff(plan.release, plan.namespace, int(row.get("revision") or 0), str(row.get("chart", "")),
                       f"{plan.chart_name}-{plan.chart_version}",
                       values_diff(deployed_values, new_values if isinstance(new_values, dict) else {}),
                       manifest_diff(deployed_manifest, render_text(plan), plan.namespace))


def deployed_values_text(helm: str, release: str, namespace: str, kube_args: list[str],
                         revision: int | None = None) -> str:
    """The user-supplied values of the deployed release (or a revision) as the text an upgrade
    starts from in the editor, headed by the `# gaie-tui: chart=` line of the chart it runs, so
    the checker checks it against that exact version. Secrets stay as helm stored them: the
    caller shows them only through redaction, as for any values text."""
    from ..values.generate import HEADER_MARK
    check_release(release)
    check_namespace(namespace)
    row = helm_mod.release_status(helm, release, namespace, kube_args)
    if row is None:
        raise UserError(f"no release {release} in namespace {namespace}", "gaie-tui releases lists them")
    chart, version = split_chart(str(row.get("chart", "")))
    if revision is not None:
        rows = helm_mod.query_json(helm_mod.history_argv(helm, release, namespace, kube_args)) or []
        found = next((r for r in rows if int(r.get("revision") or 0) == revision), None)
        if found is None:
            raise UserError(f"release {release} has no revision {revision}", "gaie-tui releases --history RELEASE")
        chart, version = split_chart(str(found.get("chart", "")))
    values = helm_mod.query_json(helm_mod.get_values_argv(helm, release, namespace, revision, kube_args)) or {}
    head = f"{HEADER_MARK}{chart}@{version}\n# the values of release {release} in {namespace}" + (
        f", revision {revision}" if revision else f", revision {row.get('revision')} ({row.get('status')})") + "\n"
    # a blank line ends the file's header: the comments above are the file's, not the first key's
    # (migrate keeps a header where it is and the comments right above a key with that key)
    head += "\n"
    return head + (yaml.safe_dump(values, sort_keys=False, default_flow_style=False) if values else "{}\n")


# ---- a stuck release ---------------------------------------------------------------------------------
@dataclass
class Recovery:
    action: str                  # rollback or uninstall
    revision: int | None         # the rollback target
    reason: str


@dataclass
class StuckDiagnosis:
    release: str
    namespace: str
    status: str
    revision: int
    since: datetime | None
    description: str                       # helm's own words in the release record
    explanation: list[str]                 # what happened, in plain words
    events: list[str]                      # recent events about the release's objects
    recovery: Recovery
    alternatives: list[Recovery] = field(default_factory=list)
    last_good: Revision | None = None

    def to_dict(self) -> dict:
        return {"release": self.release, "namespace": self.namespace, "status": self.status,
                "revision": self.revision, "since": self.since.isoformat() if self.since else None,
                "description": self.description, "explanation": self.explanation, "events": self.events,
                "recovery": asdict(self.recovery), "alternatives": [asdict(a) for a in self.alternatives],
                "last_good": self.last_good.to_dict() if self.last_good else None}


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def release_events(cluster, namespace: str, names: set[str], prefixes: tuple[str, ...] = (), limit: int = 10,
                   now: datetime | None = None) -> list[str]:
    """Recent events about the named objects (and pods whose names start with a prefix), newest last."""
    from ..cluster.kube import ClusterError
    try:
        items = cluster.list(f"/api/v1/namespaces/{quote(namespace)}/events", what="list events")
    except ClusterError as exc:
        if exc.kind in ("unreachable", "unauthorized", "timeout", "config"):
            raise
        return [f"(events could not be read: {exc.message})"]
    now = now or datetime.now(UTC)
    rows = []
    for ev in items:
        inv = ev.get("involvedObject") or {}
        name = str(inv.get("name", ""))
        if name not in names and not name.startswith(prefixes or ("\0",)):
            continue
        when = parse_helm_time(ev.get("lastTimestamp") or ev.get("eventTime") or
                               (ev.get("metadata") or {}).get("creationTimestamp"))
        count = int(ev.get("count") or 1)
        rows.append((when or now, f"{_ago((now - when).total_seconds()) + ' ago' if when else '?'} "
                                  f"{ev.get('type', '')} {ev.get('reason', '')} {str(inv.get('kind', '')).lower()}/"
                                  f"{name}: {redact(str(ev.get('message', '')))[:240]}"
                                  + (f" (×{count})" if count > 1 else "")))
    return [text for _, text in sorted(rows, key=lambda r: r[0])[-limit:]]


def diagnose(helm: str, release: str, namespace: str, kube_args: list[str], cluster=None, *,
             hist: History | None = None, now: datetime | None = None) -> StuckDiagnosis:
    """Why a release is stuck in pending-install/-upgrade/-rollback or uninstalling, and the
    recovery that fits: roll back to the last deployed revision, or uninstall when there is none."""
    hist = hist or history(helm, release, namespace, kube_args)
    cur = hist.current
    if cur is None:
        raise UserError(f"no release {release} in namespace {namespace}", "gaie-tui releases lists them")
    if cur.status not in STUCK_STATES:
        raise UserError(f"release {release} is {cur.status}, not stuck",
                        "only pending-install, pending-upgrade, pending-rollback and uninstalling need recovery")
    now = now or datetime.now(UTC)
    age = (now - cur.updated).total_seconds() if cur.updated else None
    since = f" since {cur.updated:%Y-%m-%d %H:%M} UTC ({_ago(age)} ago)" if cur.updated and age is not None else ""
    good = hist.last_good(cur.number)
    what = {"pending-install": f"the first install (chart {cur.chart} {cur.chart_version})",
            "pending-upgrade": f"an upgrade to chart {cur.chart} {cur.chart_version}",
            "pending-rollback": f"a rollback{f' to revision {cur.rollback_of}' if cur.rollback_of else ''}",
            "uninstalling": "an uninstall"}[cur.status]
    lines = [f"Revision {cur.number} has been {cur.status}{since}: helm started {what} and never recorded how it "
             "ended — helm was stopped (Ctrl-C, a killed process or CI job, a closed SSH session) or lost the "
             "cluster before it finished.",
             f"helm's own words in the release record: \"{cur.description or '(none)'}\"."]
    if cur.status == "uninstalling":
        lines.append("Some of the release's objects may already be deleted; helm refuses to install a release of "
                     "this name until the uninstall is finished.")
    else:
        lines.append("While the release is pending, helm refuses every upgrade of it (\"another operation "
                     "(install/upgrade/rollback) is in progress\").")
    if age is not None and age < STILL_RUNNING_WINDOW:
        lines.append(f"It started only {_ago(age)} ago: if a helm run (a CI job, a colleague) is still at it, let "
                     "it finish — recovering now would race it.")
    alternatives: list[Recovery] = []
    if cur.status == "uninstalling":
        recovery = Recovery("uninstall", None, "finish the uninstall helm started (it deletes what is left and "
                                               "the release record)")
        if good is not None:
            alternatives.append(Recovery("rollback", good.number, f"restore revision {good.number} instead "
                                         f"(chart {good.chart_version}, image {good.image or 'unknown'})"))
    elif good is not None:
        recovery = Recovery("rollback", good.number, f"roll back to revision {good.number}, the last one that "
                            f"deployed (chart {good.chart} {good.chart_version}, image {good.image or 'unknown'}); "
                            "then upgrade again when ready")
        alternatives.append(Recovery("uninstall", None, "remove the release entirely"))
    else:
        recovery = Recovery("uninstall", None, "uninstall it: no revision ever deployed, so there is nothing to roll "
                                               "back to; then deploy again")
        lines.append("No earlier revision deployed successfully, so a rollback has nothing to return to.")
    names: set[str] = {release, epp_name(release)}
    for rev in (cur, good):
        if rev is not None and rev.manifest:
            names |= {str((o.get("metadata") or {}).get("name", "")) for o in parse_manifest(rev.manifest, namespace)}
    events = release_events(cluster, namespace, names, (f"{epp_name(release)}-",), now=now) if cluster else []
    if events:
        lines.append(f"The cluster's recent events about the release's objects ({len(events)}) are listed below.")
    return StuckDiagnosis(release, namespace, cur.status, cur.number, cur.updated, cur.description, lines, events,
                          recovery, alternatives, good)


# ---- plans ------------------------------------------------------------------------------------------------
@dataclass
class ObjectRef:
    api_version: str
    kind: str
    namespace: str
    name: str
    kept: bool = False               # helm.sh/resource-policy: keep — uninstall leaves it

    def __str__(self) -> str:
        where = "" if self.kind in CLUSTER_SCOPED else f" in {self.namespace}"
        return f"{self.kind} {self.name}{where}" + (" (kept: helm.sh/resource-policy keep)" if self.kept else "")


@dataclass
class ActionPlan:
    """An approved change to an existing release. `argv()` is the exact helm command."""
    action: str                      # rollback or uninstall
    release: str
    namespace: str
    helm: str
    helm_major: int
    kube_args: list[str]
    status: str                      # the release's status now
    revision: int                    # its current revision
    chart: str                       # chart-version now
    target: int | None = None        # rollback: the revision restored
    target_chart: str = ""
    target_image: str = ""
    objects: list[ObjectRef] = field(default_factory=list)  # uninstall: what will be deleted
    values_diff: ValuesDiff | None = None  # rollback: current values → the target's
    production: str | None = None    # why approval wants the release name typed
    context: str = ""
    wait_timeout: str = helm_mod.DEFAULT_WAIT
    why: list[str] = field(default_factory=list)   # a stuck release: what happened (kept in the record)
    values_text: str = ""            # the values restored (rollback) or removed (uninstall), for the record

    def argv(self) -> list[str]:
        if self.action == "rollback":
            return helm_mod.rollback_argv(self.helm, self.helm_major, self.release, self.namespace, self.target,
                                          self.kube_args, self.wait_timeout)
        return helm_mod.uninstall_argv(self.helm, self.release, self.namespace, self.kube_args, self.wait_timeout)

    def summary(self) -> list[str]:
        now = f"release {self.release} in {self.namespace} (revision {self.revision}, {self.status}, {self.chart})"
        if self.action == "rollback":
            out = [f"Roll back {now} to revision {self.target}: chart {self.target_chart}, EPP image "
                   f"{self.target_image or 'unknown'}. helm records it as a new revision {self.revision + 1}."]
            if self.values_diff is not None:
                out.append("Values change: " + ("none" if self.values_diff.empty else
                                                "; ".join(c.describe() for c in self.values_diff.changes[:12])))
        else:
            deleted = [o for o in self.objects if not o.kept]
            out = [f"Uninstall {now}: helm deletes {len(deleted)} object(s) and the release's history."]
            out += [f"  - {o}" for o in self.objects]
        if self.production:
            out.append(f"PRODUCTION: {self.production}.")
        return out + self.why

    @property
    def confirmation(self) -> str:
        """What approval wants typed: the release name on production, else `yes`."""
        return self.release if self.production else "yes"

    def to_dict(self) -> dict:
        return {"action": self.action, "release": self.release, "namespace": self.namespace, "status": self.status,
                "revision": self.revision, "chart": self.chart, "target": self.target,
                "target_chart": self.target_chart, "target_image": self.target_image,
                "objects": [asdict(o) for o in self.objects], "production": self.production,
                "values_diff": self.values_diff.to_dict() if self.values_diff else None,
                "helm_command": helm_mod.redact_argv(self.argv()), "summary": self.summary()}


def _production(context: str, namespace: str) -> str | None:
    from ..production import load_production_contexts, production_reason
    patterns, _problem = load_production_contexts()
    return production_reason(context, namespace, patterns)


def locate(helm: str, release: str, namespace: str | None, kube_args: list[str]) -> tuple[str, dict]:
    """(namespace, helm list row) of a release: in `namespace`, or the one namespace that has it."""
    check_release(release)
    if namespace:
        check_namespace(namespace)
        row = helm_mod.release_status(helm, release, namespace, kube_args)
        if row is None:
            raise UserError(f"no release {release} in namespace {namespace}",
                            "gaie-tui releases --all-namespaces lists the releases you may see")
        return namespace, row
    rows = [r for r in helm_mod.query_json(helm_mod.list_argv(helm, namespace=None, kube_args=kube_args)) or []
            if r.get("name") == release]
    if not rows:
        raise UserError(f"no release {release} in any namespace you may list",
                        "check the name (gaie-tui releases --all-namespaces), or give --namespace")
    if len(rows) > 1:
        raise UserError(f"release {release} exists in several namespaces: "
                        + ", ".join(sorted(str(r.get("namespace")) for r in rows)), "give --namespace")
    return str(rows[0].get("namespace")), rows[0]


def _base_plan(action: str, helm: str | None, release: str, namespace: str | None, kube_args: list[str],
               context: str, wait_timeout: str) -> tuple[ActionPlan, dict]:
    binary, version = helm_mod.check_helm(helm)
    ns, row = locate(binary, release, namespace, kube_args)
    plan = ActionPlan(action, release, ns, binary, version[0], list(kube_args), str(row.get("status", "")),
                      int(row.get("revision") or 0), str(row.get("chart", "")), production=_production(context, ns),
                      context=context, wait_timeout=wait_timeout)
    return plan, row


def plan_rollback(release: str, namespace: str | None, kube_args: list[str], *, revision: int | None = None,
                  helm: str | None = None, context: str = "", wait_timeout: str = helm_mod.DEFAULT_WAIT,
                  hist: History | None = None) -> ActionPlan:
    """Roll back to `revision`, by default the newest earlier revision that deployed."""
    plan, _row = _base_plan("rollback", helm, release, namespace, kube_args, context, wait_timeout)
    hist = hist or history(plan.helm, release, plan.namespace, kube_args)
    if revision is None:
        good = hist.last_good(plan.revision)
        if good is None:
            raise UserError(f"release {release} has no earlier revision that deployed: nothing to roll back to",
                            f"uninstall it (gaie-tui uninstall {release} -n {plan.namespace}) and deploy again"
                            if plan.status in STUCK_STATES else
                            f"revision {plan.revision} is the only one helm keeps; to change the release, upgrade it")
        revision = good.number
    target = hist.get(revision)
    if target is None:
        known = ", ".join(str(r.number) for r in hist.revisions)
        raise UserError(f"release {release} has no revision {revision} (helm keeps: {known or 'none'})",
                        "choose one of those (gaie-tui releases shows the history in the wizard; helm history "
                        f"{release} -n {plan.namespace})")
    if revision == plan.revision:
        raise UserError(f"revision {revision} is the current revision of {release}", "choose an earlier revision")
    plan.target, plan.target_chart, plan.target_image = target.number, f"{target.chart}-{target.chart_version}", \
        target.image
    plan.values_text = _values_yaml(target.values)
    cur = hist.get(plan.revision)
    plan.values_diff = values_diff(cur.values if cur else {}, target.values, f"revision {plan.revision}",
                                   f"revision {target.number}")
    return plan


def release_objects(manifest: str, namespace: str) -> list[ObjectRef]:
    out = []
    for obj in parse_manifest(manifest, namespace):
        meta = obj.get("metadata") or {}
        keep = str((meta.get("annotations") or {}).get("helm.sh/resource-policy", "")).lower() == "keep"
        out.append(ObjectRef(str(obj.get("apiVersion", "")), str(obj.get("kind", "")),
                             "" if obj.get("kind") in CLUSTER_SCOPED else str(meta.get("namespace", namespace)),
                             str(meta.get("name", "")), keep))
    return out


def plan_uninstall(release: str, namespace: str | None, kube_args: list[str], *, helm: str | None = None,
                   context: str = "", wait_timeout: str = helm_mod.DEFAULT_WAIT) -> ActionPlan:
    """Uninstall, with every object the release's manifest holds listed first."""
    plan, _row = _base_plan("uninstall", helm, release, namespace, kube_args, context, wait_timeout)
    manifest = helm_mod.query_text(helm_mod.get_manifest_argv(plan.helm, release, plan.namespace, None, kube_args))
    plan.objects = release_objects(manifest, plan.namespace)
    plan.values_text = _values_yaml(helm_mod.query_json(helm_mod.get_values_argv(plan.helm, release, plan.namespace,
                                                                                 None, kube_args)) or {})
    return plan


def _values_yaml(values: dict) -> str:
    return yaml.safe_dump(values, sort_keys=False, default_flow_style=False) if values else ""


def plan_recovery(diag: StuckDiagnosis, kube_args: list[str], *, helm: str | None = None, context: str = "",
                  wait_timeout: str = helm_mod.DEFAULT_WAIT) -> ActionPlan:
    r = diag.recovery
    if r.action == "rollback":
        plan = plan_rollback(diag.release, diag.namespace, kube_args, revision=r.revision, helm=helm,
                             context=context, wait_timeout=wait_timeout)
    else:
        plan = plan_uninstall(diag.release, diag.namespace, kube_args, helm=helm, context=context,
                              wait_timeout=wait_timeout)
    plan.why = stuck_notes(diag)
    return plan


def stuck_notes(diag: StuckDiagnosis) -> list[str]:
    """The diagnosis as lines for a plan's summary (and so the record)."""
    return ([f"Why: {line}" for line in diag.explanation] + [f"Event: {ev}" for ev in diag.events]
            + [f"Recovery chosen: {diag.recovery.action}"
               + (f" to revision {diag.recovery.revision}" if diag.recovery.revision else "")
               + f" — {diag.recovery.reason}."])


# ---- running an approved plan ---------------------------------------------------------------------------
STATUS_WORDS = {
    "rolled-back": "rolled back and verified",
    "rollback-verify-failed": "rolled back, but verification failed",
    "uninstalled": "uninstalled: the release and its objects are gone",
    "uninstall-incomplete": "helm finished, but some objects are still there",
    "failed": "helm failed",
    "refused": "not approved: nothing was changed in the cluster",
    "cancelled": "CANCELLED by the user while running; helm was stopped",
    "interrupted": "INTERRUPTED (signal) while running; helm was stopped",
    "error": "stopped by an error",
}


@dataclass
class ActionEvent:
    """kind: step (message, status), line (helm output), checks (verification refreshed), done (outcome)."""
    kind: str
    phase: str
    ts: float = field(default_factory=time.time)
    message: str = ""
    status: str = ""
    line: helm_mod.LogLine | None = None
    checks: list[Check] | None = None
    final: bool = False
    outcome: ActionOutcome | None = None


@dataclass
class ActionOutcome:
    status: str                      # rolled-back, rollback-verify-failed, uninstalled, uninstall-incomplete, failed,
                                     # refused, cancelled, interrupted, error
    plan: ActionPlan
    helm: helm_mod.HelmResult | None = None
    explanation: helm_mod.Explanation | None = None
    verification: list[Check] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)   # uninstall: objects still there afterwards
    revision: int | None = None      # the release's revision afterwards (None: gone)
    release_status: str = ""         # its helm status afterwards ("" when gone)
    record_dir: Path | None = None

    @property
    def exit_code(self) -> int:
        if self.status in ("rolled-back", "uninstalled"):
            return EXIT_OK
        if self.status in ("cancelled", "interrupted"):
            return EXIT_CANCELLED
        if self.status in ("refused", "error"):
            return EXIT_CANNOT_RUN
        return EXIT_FAILED

    def to_dict(self) -> dict:
        return {"status": self.status, "exit_code": self.exit_code, "action": self.plan.action,
                "release": self.plan.release, "namespace": self.plan.namespace, "revision": self.revision,
                "release_status": self.release_status, "plan": self.plan.to_dict(),
                "explanation": asdict(self.explanation) if self.explanation else None,
                "verification": [c.to_dict() for c in self.verification], "remaining": self.remaining,
                "record_dir": str(self.record_dir) if self.record_dir else None}


class ActionRun:
    """Runs one approved ActionPlan. `run()` blocks; `cancel()` may be called from any thread."""

    def __init__(self, plan: ActionPlan, *, cluster=None, record_parent: str | Path = DEFAULT_PARENT,
                 verify_wait: float = 60.0, interval: float = 1.0,
                 on_event: Callable[[ActionEvent], None] | None = None) -> None:
        self.plan = plan
        self.cluster = cluster
        self.record_parent = Path(record_parent)
        self.verify_wait = verify_wait
        self.interval = interval
        self.on_event = on_event
        self.record: Record | None = None
        self._cancel = threading.Event()
        self._reason = "cancelled"
        self._proc: helm_mod.HelmProcess | None = None
        self._started = time.time()
        self.outcome = ActionOutcome("in-progress", plan)

    def cancel(self, reason: str = "cancelled") -> None:
        self._reason = reason if reason in ("cancelled", "interrupted") else "cancelled"
        self._cancel.set()
        if self._proc is not None:
            threading.Thread(target=self._proc.cancel, daemon=True).start()

    # -- plumbing
    def _emit(self, ev: ActionEvent) -> None:
        if self.on_event:
            try:
                self.on_event(ev)
            except Exception:  # noqa: BLE001 - a UI bug must not break the action
                pass

    def _step(self, phase: str, message: str, status: str = "") -> None:
        if self.record:
            self.record.step(phase, message, status)
        self._emit(ActionEvent("step", phase, message=redact(message), status=status))

    def _save(self) -> None:
        if not self.record:
            return
        o, p = self.outcome, self.plan
        data = o.to_dict()
        chart, version = split_chart(p.target_chart or p.chart)
        data.update({
            "chart": {"name": chart, "version": version, "source": f"revision {p.target}" if p.target else "release",
                      "ref": p.target_chart or p.chart},
            "context": p.context, "server": getattr(self.cluster, "server", ""),
            "helm_command": helm_mod.redact_argv(p.argv()), "started": iso(self._started),
            "ended": iso(time.time()) if o.status != "in-progress" else None, "summary": p.summary(),
            "status_words": STATUS_WORDS.get(o.status, o.status),
            "helm": ({k: v for k, v in o.helm.to_dict().items() if k != "lines"} if o.helm else None)})
        try:
            self.record.save(data)
        except OSError:
            pass

    def _finish(self, status: str) -> ActionOutcome:
        self.outcome.status = status
        self._step("record", f"outcome: {status} — {STATUS_WORDS.get(status, status)}", status)
        self._save()
        if self.record:
            self.outcome.record_dir = self.record.path
            self.record.close()
        self._emit(ActionEvent("done", "record", status=status, outcome=self.outcome))
        return self.outcome

    # -- the runs
    def refuse(self) -> ActionOutcome:
        """Not approved: a record that says so, and nothing changed."""
        self._open()
        self._step("plan", "not approved: nothing was changed", "refused")
        return self._finish("refused")

    def _open(self) -> None:
        if self.record is None:
            self.record = Record(self.record_parent, self.plan.release)
            self.outcome.record_dir = self.record.path

    def run(self) -> ActionOutcome:
        self._open()
        p = self.plan
        if p.values_text and self.record:
            self.record.write_values(p.values_text)
        self._step("plan", f"{p.action} approved: " + " ".join(p.summary()[:1]))
        self._save()
        try:
            return self._run()
        except KeyboardInterrupt:
            self.cancel("interrupted")
            if self._proc is not None:
                self._proc.cancel()
            return self._finish("interrupted")
        except UserError as exc:
            self.outcome.explanation = helm_mod.Explanation(getattr(exc, "kind", "error"), exc.message, exc.hint)
            self._step("error", str(exc), "error")
            return self._finish("error")

    def _run(self) -> ActionOutcome:
        p = self.plan
        if self._cancel.is_set():
            self._step(p.action, f"{self._reason} before helm ran: nothing was changed", self._reason)
            return self._finish(self._reason)
        self._step(p.action, "helm " + " ".join(helm_mod.redact_argv(p.argv())[1:]))
        self._save()  # a killed run still says helm had started

        def on_line(line: helm_mod.LogLine) -> None:
            if self.record:
                self.record.log(line.stamp(), line.stream, line.text)
            self._emit(ActionEvent("line", p.action, line=line))

        limit = helm_mod.duration_seconds(p.wait_timeout)
        proc = helm_mod.HelmProcess(p.argv(), on_line=on_line, timeout=(limit + 300) if limit else None)
        self._proc = proc
        if self._cancel.is_set():
            return self._finish(self._reason)
        result = proc.start().wait()
        self._proc = None
        self.outcome.helm, self.outcome.explanation = result, result.explanation
        row = helm_mod.release_status(p.helm, p.release, p.namespace, p.kube_args)
        self.outcome.revision = int(row.get("revision") or 0) if row else None
        self.outcome.release_status = str(row.get("status", "")) if row else ""
        state = (f"; release is now {row.get('status')} (revision {row.get('revision')}, {row.get('chart')})" if row
                 else "; the release no longer exists")
        if result.cancelled or self._cancel.is_set():
            self._step(p.action, f"helm was stopped ({self._reason}) after {result.duration:.1f}s{state}", self._reason)
            return self._finish(self._reason)
        if not result.ok:
            ex = result.explanation
            self._step(p.action, f"helm failed after {result.duration:.1f}s: "
                       f"{ex.message if ex else 'exit ' + str(result.returncode)}{state}", FAIL)
            return self._finish("failed")
        self._step(p.action, f"helm finished in {result.duration:.1f}s{state}", PASS)
        self._save()
        return self._verify_rollback() if p.action == "rollback" else self._verify_uninstall()

    def _verify_rollback(self) -> ActionOutcome:
        p = self.plan
        if self.cluster is None:
            self._step("verify", "no cluster connection given: not verified", "skip")
            return self._finish("rollback-verify-failed")
        manifest, err = helm_mod.get_manifest(p.helm, p.release, p.namespace, p.kube_args)
        if manifest is None:
            self._step("verify", f"cannot read the release's manifest: {err[:200]}", FAIL)
            return self._finish("rollback-verify-failed")
        chart, version = split_chart(p.target_chart)
        exp: Expected = expected_from_objects(parse_manifest(manifest, p.namespace), release=p.release,
                                              namespace=p.namespace, chart_name=chart, chart_version=version)
        from ..charts.layouts import LAYOUTS
        path = LAYOUTS["D" if chart == "llm-d-router-gateway" else "A"].match_labels

        def on_update(checks: list[Check], final: bool) -> None:
            self._emit(ActionEvent("checks", "verify", checks=checks, final=final))

        checks = verify(self.cluster, exp, wait=self.verify_wait, interval=self.interval, on_update=on_update,
                        cancel=self._cancel, match_labels_path=path,
                        release_info=lambda: helm_mod.release_status(p.helm, p.release, p.namespace, p.kube_args))
        self.outcome.verification = checks
        self._step("verify", f"{len(checks)} checks: " + (", ".join(c.id for c in failed(checks)) + " failed"
                                                          if failed(checks) else "all passed"), worst(checks))
        if self._cancel.is_set():
            return self._finish(self._reason)
        return self._finish("rollback-verify-failed" if failed(checks) else "rolled-back")

    def _verify_uninstall(self) -> ActionOutcome:
        """Every listed object gone (helm's --wait already waited for deletion), the release too."""
        from ..cluster.kube import ClusterError
        p = self.plan
        if self.cluster is None:
            self._step("verify", "no cluster connection given: the objects were not looked at", "skip")
            return self._finish("uninstalled" if not self.outcome.release_status else "uninstall-incomplete")
        remaining = []
        deadline = time.monotonic() + min(self.verify_wait, 30.0)
        while True:
            remaining = []
            for o in p.objects:
                if o.kept:
                    continue
                group, _, version = o.api_version.rpartition("/")
                plural = PLURALS.get(o.kind, o.kind.lower() + "s")
                base = f"/apis/{group}/{version}" if group else f"/api/{version}"
                path = f"{base}/{plural}/{quote(o.name)}" if o.kind in CLUSTER_SCOPED else \
                    f"{base}/namespaces/{quote(o.namespace)}/{plural}/{quote(o.name)}"
                try:
                    if self.cluster.get(path, what=f"get {o.kind} {o.name}") is not None:
                        remaining.append(str(o))
                except ClusterError as exc:
                    if exc.kind in ("unreachable", "unauthorized", "timeout", "config"):
                        raise
            if not remaining or time.monotonic() >= deadline or self._cancel.wait(self.interval):
                break
        self.outcome.remaining = remaining
        gone = len([o for o in p.objects if not o.kept]) - len(remaining)
        self._step("verify", f"{gone} object(s) deleted" + (f"; still there: {', '.join(remaining)}" if remaining
                                                              else "; the release record is gone")
                   + (f"; kept on purpose: {', '.join(str(o) for o in p.objects if o.kept)}"
                      if any(o.kept for o in p.objects) else ""), FAIL if remaining else PASS)
        if remaining or self.outcome.release_status:
            return self._finish("uninstall-incomplete")
        return self._finish("uninstalled")


def confirm_text(plan: ActionPlan) -> str:
    """The approval question, for a terminal or a dialog."""
    verb = "Roll back" if plan.action == "rollback" else "Uninstall"
    target = f" to revision {plan.target}" if plan.action == "rollback" else ""
    if plan.production:
        return (f"{verb} release {plan.release}{target} in {plan.namespace}? This is PRODUCTION ({plan.production}). "
                f"Type the release name to approve: ")
    return f"{verb} release {plan.release}{target} in {plan.namespace}? Type 'yes' to approve: "


def approved(plan: ActionPlan, answer: str) -> bool:
    answer = (answer or "").strip()
    return answer == plan.release if plan.production else answer.lower() == "yes"


__all__ = ["ActionEvent", "ActionOutcome", "ActionPlan", "ActionRun", "Change", "History", "ManifestDiff",
           "ObjectRef", "Recovery", "Revision", "StuckDiagnosis", "UpgradeDiff", "ValuesDiff", "approved",
           "confirm_text", "deployed_values_text", "diagnose", "history", "locate", "manifest_diff", "plan_recovery", "plan_rollback",
           "plan_uninstall", "release_events", "stuck_notes", "upgrade_diff", "value_changes", "values_diff"]
