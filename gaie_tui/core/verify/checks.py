"""The verification checks: one function per check, in the list `CHECKS` (as the checker's rules
are), each judging a `Snapshot` of the cluster against what the release should look like
(`Expected`). Pure: no cluster call here, so they are cheap to run on every refresh.

`evaluate()` runs them all and says whether anything is still settling (worth another look);
`refresh.verify()` looks again until nothing settles or a deadline passes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..cluster.checks import FAIL, PASS, SKIP, WARN, Check
from . import drift
from .expected import EXT_PROC_PORT, Expected
from .pods import container_ports, pod_ready, restarts, selector_text, similar_selector, statuses, waiting
from .snapshot import LOG_TAIL, Snapshot

MAX_LISTED = 10


def model_server_check(exp: Expected, pods: list[dict], similar: list[dict], *, id_: str = "pool-endpoints",
                       none_status: str = FAIL, match_labels_path: str = "inferencePool.modelServers.matchLabels") -> Check:
    """The selector matches ≥ 1 Ready pod that exposes a target port. Pure."""
    sel_text = exp.pool_label_selector or "(empty selector)"
    looked = f"pods in namespace {exp.namespace} with labelSelector {sel_text}"
    title = "Model-server pods behind the pool"
    if not pods:
        guess, count = similar_selector(exp.pool_selector, similar, target_ports=exp.target_ports,
                                        release=exp.release)
        if guess:
            wanted = ", ".join(f"{k}: \"{v}\"" for k, v in guess.items())
            return Check(id_, title, FAIL, f"no pod matches {sel_text}; {count} pod(s) carry {selector_text(guess)} "
                         "instead (model-server label drift)",
                         f"set {match_labels_path} to {{{wanted}}} (llm-d renamed llm-d.ai/inferenceServing to "
                         "llm-d.ai/inference-serving in early 2026)", looked_at=looked)
        return Check(id_, title, none_status, f"no pod matches {sel_text}",
                     "deploy the model servers, or fix the selector so it matches their labels "
                     "(kubectl get pods --show-labels)", looked_at=looked)
    ready = [p for p in pods if pod_ready(p)]
    serving = [p for p in ready if container_ports(p) & set(exp.target_ports)]
    details = [f"{p['metadata']['name']}: {'Ready' if pod_ready(p) else 'not Ready'}, ports "
               f"{sorted(container_ports(p)) or 'none declared'}" for p in pods[:MAX_LISTED]]
    if len(pods) > MAX_LISTED:
        details.append(f"… and {len(pods) - MAX_LISTED} more")
    ports = ", ".join(map(str, exp.target_ports))
    if serving:
        return Check(id_, title, PASS, f"{len(serving)} of {len(pods)} matching pod(s) Ready and exposing "
                     f"port {ports}", looked_at=looked, details=details)
    if ready:
        return Check(id_, title, FAIL, f"{len(ready)} Ready pod(s) match, but none declares container port {ports}",
                     "set the pool's targetPorts to the port the model server listens on", looked_at=looked,
                     details=details)
    return Check(id_, title, WARN if none_status != FAIL else FAIL,
                 f"{len(pods)} pod(s) match but none is Ready", "wait for the model servers or look at their pods",
                 looked_at=looked, details=details)


# ---- EPP log lines that name a known problem -------------------------------------------------
LOG_FINDINGS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"forbidden", re.I), "RBAC denies the EPP a read it needs",
     "chart/image skew: the chart's Role lacks a permission this EPP version needs — use the EPP image paired "
     "with this chart version, or a chart version made for this EPP"),
    (re.compile(r"Pool is not initialized", re.I), "the EPP has not read its InferencePool",
     "check the InferencePool exists in the EPP's namespace and the CRD is served at inference.networking.k8s.io/v1"),
    (re.compile(r"(fail(ed)? to (parse|load) (the )?plugins? configuration|plugin type .* not found|"
                r"invalid plugins configuration)", re.I), "the plugins configuration is invalid",
     "fix the plugins configuration (pluginsConfigFile / pluginsCustomConfig) for this EPP version"),
)


def log_findings(lines: list[str]) -> list[tuple[str, str, str]]:
    """(what, remedy, first matching line) for each kind of trouble found in the lines."""
    out = []
    for pattern, what, remedy in LOG_FINDINGS:
        hit = next((ln for ln in lines if pattern.search(ln)), None)
        if hit:
            out.append((what, remedy, hit))
    return out

# ---- judging a snapshot ----------------------------------------------------------------------
@dataclass
class Judge:
    """What every check needs: the expectation, the snapshot, whether this is the last look (a
    check still waiting then fails), and whether any check is still settling."""
    exp: Expected
    snap: Snapshot
    final: bool = True
    match_labels_path: str = "inferencePool.modelServers.matchLabels"
    pending: bool = False

    def waiting(self, id_: str, title: str, evidence: str, remedy: str, looked: str, details=None) -> Check:
        """Not there yet: a warning while things may still settle, a failure on the last look."""
        if self.final:
            return Check(id_, title, FAIL, evidence, remedy, looked, details or [])
        self.pending = True
        return Check(id_, title, WARN, f"waiting: {evidence}", remedy, looked, details or [])


def release(j: Judge) -> Check:
    exp, rel = j.exp, j.snap.release
    looked = f"helm list -n {exp.namespace} --filter ^{exp.release}$ (deployed, failed, pending, uninstalling)"
    want_chart = f"{exp.chart_name}-{exp.chart_version}" if exp.chart_name and exp.chart_version else ""
    if j.snap.release_error:
        return Check("release", "Helm release", SKIP, f"could not ask helm: {j.snap.release_error}", "", looked)
    if rel is None:
        return j.waiting("release", "Helm release", f"no release {exp.release} in {exp.namespace}",
                         "deploy the release; if helm removed a failed install, fix the cause and deploy again",
                         looked)
    status, chart = rel.get("status", ""), rel.get("chart", "")
    ev = f"revision {rel.get('revision')} {status}, chart {chart}"
    if status.startswith("pending"):
        c = j.waiting("release", "Helm release", ev,
                      f"a helm operation did not finish: roll back to the last deployed revision (helm rollback "
                      f"{exp.release} -n {exp.namespace}), or uninstall a first install that never finished", looked)
        c.actions = ["rollback", "uninstall"]
        return c
    if status != "deployed":
        return Check("release", "Helm release", FAIL, ev,
                     f"helm history {exp.release} -n {exp.namespace} shows why; roll back or deploy again",
                     looked, actions=["rollback", "uninstall"])
    if want_chart and chart != want_chart:
        return Check("release", "Helm release", FAIL, f"{ev}, but {want_chart} was asked for",
                     "deploy the chart version you meant", looked)
    return Check("release", "Helm release", PASS, ev, "", looked)


def _want_ready(exp: Expected) -> int:
    return 1 if exp.epp_replicas > 1 else exp.epp_replicas   # leader election: only the leader is Ready


def epp_deployment(j: Judge) -> Check:
    exp, dep = j.exp, j.snap.deployment
    looked = f"deployment {exp.epp} in {exp.namespace}"
    if dep is None:
        return j.waiting("epp-deployment", "EPP Deployment", f"deployment {exp.epp} not found",
                         "deploy the release; helm may have rolled it back", looked)
    st = dep.get("status") or {}
    ready = int(st.get("readyReplicas", 0) or 0)
    avail = next((c for c in st.get("conditions") or [] if c.get("type") == "Available"), {})
    ev = f"{ready}/{exp.epp_replicas} ready" + (" (leader election: only the leader is Ready)"
                                                if exp.epp_replicas > 1 else "")
    if ready >= _want_ready(exp) and (avail.get("status") == "True" or exp.epp_replicas > 1):
        return Check("epp-deployment", "EPP Deployment", PASS, ev + ", Available", "", looked)
    return j.waiting("epp-deployment", "EPP Deployment", ev + (
        f", Available={avail.get('status')} ({avail.get('reason', '')})" if avail else ""),
        "see the EPP pod check below", looked)


def _log_lines(snap: Snapshot) -> list[str]:
    out: list[str] = []
    for name, (lines, why) in snap.epp_logs.items():
        if lines:
            out += [f"{name}: {ln}" for ln in lines[-LOG_TAIL:]]
        elif why:
            out.append(f"{name}: no log ({why[:160]})")
    return out


def epp_pods(j: Judge) -> Check:
    """EPP pods, with their waiting reasons (image pulls, crash loops) and log lines."""
    exp, pods = j.exp, j.snap.epp_pods
    looked = f"pods in {exp.namespace} with labelSelector {exp.epp_selector}"
    hard: list[str] = []
    details: list[str] = []
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase", "?")
        w = waiting(pod)
        details.append(f"{name}: {phase}, {'Ready' if pod_ready(pod) else 'not Ready'}, restarts {restarts(pod)}"
                       + "".join(f", {c} waiting: {r}" for c, r, _ in w))
        for c, reason, msg in w:
            if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
                image = next((cs.get("image") for cs in statuses(pod) if cs.get("name") == c), "") or exp.epp_image
                hard.append(f"{reason}: image {image} cannot be pulled ({msg[:200]})")
            elif reason in ("CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
                            "RunContainerError"):
                hard.append(f"{reason} in container {c} ({msg[:160]})" if msg else f"{reason} in container {c}")
    log_lines = _log_lines(j.snap)
    ready_pods = [p for p in pods if pod_ready(p)]
    if not pods:
        return j.waiting("epp-pods", "EPP pods", "no EPP pod exists",
                         "check the Deployment's events (kubectl describe deployment)", looked)
    if hard:
        image_trouble = any("cannot be pulled" in h for h in hard)
        remedy = (f"check the image name and tag exist and the cluster can pull them (registry access, "
                  f"imagePullSecrets): {exp.epp_image}" if image_trouble else
                  "read the log lines below; fix the configuration they name and deploy again")
        return Check("epp-pods", "EPP pods", FAIL, "; ".join(dict.fromkeys(hard)), remedy, looked,
                     details + ([] if image_trouble else log_lines[-12:]))
    if len(ready_pods) >= _want_ready(exp):
        rs = sum(restarts(p) for p in pods)
        return Check("epp-pods", "EPP pods", WARN if rs else PASS, f"{len(ready_pods)} Ready of {len(pods)}"
                     + (f", {rs} restart(s)" if rs else ""),
                     "restarts: read the previous log (kubectl logs --previous)" if rs else "", looked, details)
    return j.waiting("epp-pods", "EPP pods", f"0 Ready of {len(pods)}",
                     "the EPP is Ready only after it has read its InferencePool (CRD and RBAC right); read its "
                     "log lines below", looked, details + log_lines[-12:])


def epp_image(j: Judge) -> Check:
    exp, pods = j.exp, j.snap.epp_pods
    looked = f"image of the EPP containers vs the rendered Deployment ({exp.epp_image or 'unknown'})"
    running = sorted({str(c.get("image", "")) for p in pods for c in (p.get("spec") or {}).get("containers") or []
                      if c.get("name") == "epp" or len((p.get("spec") or {}).get("containers") or []) == 1})
    if not pods or not exp.epp_image:
        return Check("epp-image", "EPP image", SKIP, "no EPP pod to look at" if not pods else
                     "the requested image is unknown", "", looked)
    if running == [exp.epp_image]:
        return Check("epp-image", "EPP image", PASS, exp.epp_image, "", looked)
    return Check("epp-image", "EPP image", FAIL, f"running {', '.join(running)}, requested {exp.epp_image}",
                 "an old ReplicaSet may still run, or the image keys in the values were ignored by this chart "
                 "version (e.g. hub/name on v1.5.0)", looked)


def epp_logs(j: Judge) -> Check:
    snap = j.snap
    looked = f"last {LOG_TAIL} log lines of each EPP pod"
    all_lines = [ln for lines, _ in snap.epp_logs.values() for ln in lines]
    findings = log_findings(all_lines)
    if not snap.epp_logs:
        return Check("epp-logs", "EPP log findings", SKIP, "no EPP pod log to read", "", looked)
    if findings:
        return Check("epp-logs", "EPP log findings", FAIL, "; ".join(w for w, _, _ in findings),
                     " ".join(r for _, r, _ in findings), looked,
                     [h for _, _, h in findings] + _log_lines(snap)[-8:])
    if not all_lines:
        why = next((w for _, w in snap.epp_logs.values() if w), "")
        return Check("epp-logs", "EPP log findings", SKIP, "no log lines yet" + (f" ({why[:160]})" if why else ""),
                     "", looked, _log_lines(snap)[-4:])
    return Check("epp-logs", "EPP log findings", PASS, "no forbidden, Pool-not-initialized or plugin-configuration "
                 "errors", "", looked)


def _selector_text(selector: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "(empty)"


def pool(j: Judge) -> Check:
    exp, found = j.exp, j.snap.pool
    looked = f"inferencepool {exp.pool} ({exp.pool_api}) in {exp.namespace}"
    if found is None:
        return j.waiting("pool", "InferencePool", f"inferencepool {exp.pool} not found" + (
            f" ({j.snap.errors['pool']})" if j.snap.errors.get("pool") else ""),
            "check the release rendered it and the InferencePool CRD is installed", looked)
    spec = found.get("spec") or {}
    sel = spec.get("selector") or {}
    got_sel = {str(k): str(v) for k, v in (sel.get("matchLabels", sel) or {}).items()}
    ref = spec.get("endpointPickerRef") or spec.get("extensionRef") or {}
    port = ref.get("port") or {}
    got_port = port.get("number") if isinstance(port, dict) else port
    problems = []
    if got_sel != exp.pool_selector:
        problems.append(f"selector {_selector_text(got_sel)} but {_selector_text(exp.pool_selector)} was requested")
    if ref.get("name") != exp.epp:
        problems.append(f"endpointPickerRef names {ref.get('name')!r}, not the EPP Service {exp.epp!r}")
    if got_port is not None and int(got_port) != EXT_PROC_PORT:
        problems.append(f"endpointPickerRef port {got_port}, but the EPP serves ext-proc on {EXT_PROC_PORT}")
    if problems:
        return Check("pool", "InferencePool", FAIL, "; ".join(problems),
                     "leave extProcPort at 9002 (the container port never changes) and set the selector in the "
                     "values", looked)
    return Check("pool", "InferencePool", PASS,
                 f"selector {_selector_text(got_sel)}, endpointPickerRef {ref.get('name')}:{got_port}", "", looked)


def pool_endpoints(j: Judge) -> Check:
    return model_server_check(j.exp, j.snap.model_pods, j.snap.similar, match_labels_path=j.match_labels_path)


def destination_rule(j: Judge) -> Check | None:
    exp = j.exp
    if exp.destination_rule is None:
        return None
    want = exp.destination_rule
    name = want["metadata"].get("name", exp.epp)
    looked = f"destinationrule {name} in {exp.namespace}"
    dr = j.snap.destination_rule
    if dr is None:
        return j.waiting("destination-rule", "Istio DestinationRule", f"destinationrule {name} not found",
                         "install Istio's CRDs; check provider.name is `istio`", looked)
    wspec, gspec = want.get("spec") or {}, dr.get("spec") or {}
    host_want = wspec.get("host") or f"{exp.epp}.{exp.namespace}.svc.cluster.local"
    tls = ((gspec.get("trafficPolicy") or {}).get("tls") or {}).get("mode")
    pool_want = (wspec.get("trafficPolicy") or {}).get("connectionPool")
    pool_got = (gspec.get("trafficPolicy") or {}).get("connectionPool")
    problems = []
    if gspec.get("host") != host_want:
        problems.append(f"host {gspec.get('host')!r}, expected {host_want!r}")
    if tls != "SIMPLE":
        problems.append(f"tls.mode {tls!r}, expected SIMPLE")
    if pool_want != pool_got:
        problems.append(f"connectionPool {pool_got} differs from the requested {pool_want}")
    ev = f"host {gspec.get('host')}, tls {tls}, connectionPool " + ("set" if pool_got else "none")
    return Check("destination-rule", "Istio DestinationRule", FAIL if problems else PASS, "; ".join(problems) or ev,
                 "deploy again; something else changed the rule" if problems else "", looked)


def pool_parents(j: Judge) -> Check:
    exp = j.exp
    looked = f"status.parents of inferencepool {exp.pool}"
    parents = ((j.snap.pool or {}).get("status") or {}).get("parents") or []
    if not parents:
        return Check("pool-parents", "Gateway status on the pool", SKIP,
                     "no gateway has written status yet (normal until an HTTPRoute points at the pool)", "", looked)
    bad = []
    for p in parents:
        pname = (p.get("parentRef") or {}).get("name", "?")
        for c in p.get("conditions") or []:
            if c.get("type") in ("Accepted", "ResolvedRefs") and c.get("status") != "True":
                bad.append(f"{pname}: {c.get('type')}={c.get('status')} ({c.get('reason', '')}: "
                           f"{c.get('message', '')[:120]})")
    return Check("pool-parents", "Gateway status on the pool", FAIL if bad else PASS,
                 "; ".join(bad) or f"{len(parents)} parent(s) Accepted and ResolvedRefs",
                 "read the gateway controller's message; check the HTTPRoute's backendRef" if bad else "", looked)


def drift_checks(j: Judge) -> list[Check]:
    """Fields of the release's objects changed outside helm, one check each (drift.py)."""
    return drift.checks(j.exp, j.snap)


# The checks in the order the dashboard and the record show them; a check gives one Check, none
# (it does not apply) or several (drift: one per changed field).
CHECKS: list[Callable[[Judge], Check | list[Check] | None]] = [
    release, epp_deployment, epp_pods, epp_image, epp_logs, pool, pool_endpoints, destination_rule, pool_parents,
    drift_checks,
]


def evaluate(exp: Expected, snap: Snapshot, *, final: bool = True,
             match_labels_path: str = "inferencePool.modelServers.matchLabels") -> tuple[list[Check], bool]:
    """Checks for a snapshot and whether anything is still settling (worth another refresh)."""
    j = Judge(exp, snap, final=final, match_labels_path=match_labels_path)
    checks: list[Check] = []
    for check in CHECKS:
        found = check(j)
        if isinstance(found, Check):
            checks.append(found)
        elif found:
            checks.extend(found)
    return checks, j.pending
