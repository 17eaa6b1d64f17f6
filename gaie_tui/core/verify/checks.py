"""Verification of a deployed release: fetch what matters (a handful of label-selector-scoped
calls, whatever the number of model-server pods), then judge it with pure functions.

What is expected comes from the manifest helm rendered for this release (`helm template` before a
deploy, `helm get manifest` for an existing release): the EPP Deployment and its image, the
InferencePool's selector, target ports and endpoint-picker reference, the DestinationRule.
`evaluate()` turns an `Expected` and a `Snapshot` into `Check`s; `verify()` refreshes until the
checks settle or a deadline passes.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import yaml

from ..cluster.checks import FAIL, PASS, SKIP, WARN, Check
from ..names import epp_name
from . import drift

POOL_GROUP, POOL_VERSION = "inference.networking.k8s.io", "v1"
EXT_PROC_PORT = 9002
LOG_TAIL = 20
MAX_LISTED = 10


# ---- what the release should look like -----------------------------------------------------
@dataclass
class Expected:
    release: str
    namespace: str
    chart_name: str = ""
    chart_version: str = ""
    epp_label: str = "inferencepool"           # EPP pod label key (value <release>-epp)
    epp: str = ""                              # Deployment / Service name
    epp_image: str = ""
    epp_replicas: int = 1
    pool: str = ""
    pool_api: str = f"{POOL_GROUP}/{POOL_VERSION}"
    pool_selector: dict = field(default_factory=dict)
    target_ports: list[int] = field(default_factory=lambda: [8000])
    ext_proc_port: int = EXT_PROC_PORT
    destination_rule: dict | None = None      # the rendered DestinationRule, when istio is on
    objects: list[tuple[str, str, str, str]] = field(default_factory=list)  # apiVersion, kind, ns, name
    secret_refs: list[tuple[str, str]] = field(default_factory=list)       # (secret, key) the EPP reads
    extra_kinds: set[str] = field(default_factory=set)
    rendered: dict[str, dict] = field(default_factory=dict)  # kind → manifest object drift compares (drift.py)

    @property
    def epp_selector(self) -> str:
        return f"{self.epp_label}={self.epp}"

    @property
    def pool_label_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.pool_selector.items()))


def parse_manifest(text: str, namespace: str) -> list[dict]:
    """The objects of a rendered manifest (namespace filled in where helm would)."""
    out = []
    for doc in yaml.safe_load_all(text or ""):
        if isinstance(doc, dict) and doc.get("kind"):
            meta = doc.setdefault("metadata", {})
            if doc["kind"] not in _CLUSTER_KINDS:
                meta.setdefault("namespace", namespace)
            out.append(doc)
    return out


_CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}


def expected_from_objects(objects: list[dict], *, release: str, namespace: str, chart_name: str = "",
                          chart_version: str = "", epp_label: str = "") -> Expected:
    exp = Expected(release=release, namespace=namespace, chart_name=chart_name, chart_version=chart_version,
                   epp=epp_name(release), pool=release)
    exp.epp_label = epp_label or ("llm-d-router-gateway" if chart_name == "llm-d-router-gateway" else "inferencepool")
    for obj in objects:
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        exp.objects.append((str(obj.get("apiVersion", "")), kind, meta.get("namespace", ""), meta.get("name", "")))
        spec = obj.get("spec") or {}
        if kind == "Deployment":
            tmpl = (spec.get("template") or {})
            labels = (tmpl.get("metadata") or {}).get("labels") or {}
            if any(str(v).endswith("-epp") for v in labels.values()) or not exp.epp_image:
                exp.epp = meta.get("name", exp.epp)
                for k, v in labels.items():
                    if k in ("inferencepool", "llm-d-router-gateway") and str(v) == exp.epp:
                        exp.epp_label = k
                exp.epp_replicas = int(spec.get("replicas", 1) or 1) if str(spec.get("replicas", 1)).isdigit() else 1
                containers = (tmpl.get("spec") or {}).get("containers") or []
                if containers:
                    exp.epp_image = str(containers[0].get("image", ""))
                for c in containers:
                    for env in c.get("env") or []:
                        ref = ((env or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
                        if ref.get("name"):
                            exp.secret_refs.append((str(ref["name"]), str(ref.get("key", ""))))
        elif kind == "InferencePool":
            exp.pool = meta.get("name", exp.pool)
            exp.pool_api = str(obj.get("apiVersion", exp.pool_api))
            sel = spec.get("selector") or {}
            exp.pool_selector = {str(k): str(v) for k, v in (sel.get("matchLabels", sel) or {}).items()}
            ports = spec.get("targetPorts") or ([{"number": spec["targetPortNumber"]}]
                                                if spec.get("targetPortNumber") else [])
            exp.target_ports = [int(p.get("number")) for p in ports if str(p.get("number", "")).isdigit()] or [8000]
            ref = spec.get("endpointPickerRef") or spec.get("extensionRef") or {}
            port = ref.get("port") or {}
            num = port.get("number") if isinstance(port, dict) else port
            if str(num or "").isdigit():
                exp.ext_proc_port = int(num)
        elif kind == "DestinationRule":
            exp.destination_rule = obj
        else:
            exp.extra_kinds.add(kind)
    exp.rendered = drift.rendered_objects(objects, exp.epp, exp.pool)
    return exp


# ---- what the cluster shows ----------------------------------------------------------------
@dataclass
class Snapshot:
    taken: float = 0.0
    release: dict | None = None               # helm list row (name, revision, status, chart)
    release_error: str = ""
    deployment: dict | None = None
    epp_pods: list[dict] = field(default_factory=list)
    epp_logs: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # pod → (lines, why none)
    pool: dict | None = None
    pool_error: str = ""
    model_pods: list[dict] = field(default_factory=list)
    similar: list[dict] = field(default_factory=list)    # pod metadata in the namespace (when none matched)
    destination_rule: dict | None = None
    service: dict | None = None                          # the EPP Service (drift.py)
    host_services: dict[str, dict | None] = field(default_factory=dict)  # "ns/name" a DR host names
    errors: dict[str, str] = field(default_factory=dict)
    calls: int = 0


def fetch(cluster, exp: Expected, *, release_info: Callable[[], dict | None] | None = None,
          logs: bool = True) -> Snapshot:
    """Everything evaluate() needs. `release_info` returns the helm list row (the caller runs helm)."""
    from ..cluster.kube import ClusterError
    snap = Snapshot(taken=time.time())
    ns = quote(exp.namespace)

    def attempt(key: str, fn):
        snap.calls += 1
        try:
            return fn()
        except ClusterError as exc:
            if exc.kind in ("unreachable", "unauthorized", "timeout", "config"):
                raise
            snap.errors[key] = str(exc)
            return None

    if release_info is not None:
        try:
            snap.release = release_info()
        except Exception as exc:  # noqa: BLE001 - helm trouble is a finding, not a crash
            snap.release_error = str(exc)
    snap.deployment = attempt("deployment", lambda: cluster.get(
        f"/apis/apps/v1/namespaces/{ns}/deployments/{quote(exp.epp)}", what=f"get deployment {exp.epp}"))
    snap.epp_pods = attempt("epp-pods", lambda: cluster.list(
        f"/api/v1/namespaces/{ns}/pods", label_selector=exp.epp_selector, what="list pods")) or []
    if logs:
        for pod in snap.epp_pods[:3]:
            name = pod["metadata"]["name"]
            restarts = sum(int(cs.get("restartCount", 0)) for cs in _statuses(pod))
            got = attempt(f"log-{name}", lambda: cluster.pod_log(exp.namespace, name, tail=LOG_TAIL))
            lines, why = got if got else ([], snap.errors.get(f"log-{name}", ""))
            if not lines and restarts:
                prev = attempt(f"log-{name}", lambda: cluster.pod_log(exp.namespace, name, tail=LOG_TAIL,
                                                                      previous=True))
                if prev and prev[0]:
                    lines, why = prev
            snap.epp_logs[name] = (lines, why)
    group, _, version = exp.pool_api.partition("/")
    snap.pool = attempt("pool", lambda: cluster.get(
        f"/apis/{group}/{version}/namespaces/{ns}/inferencepools/{quote(exp.pool)}",
        what=f"get inferencepool {exp.pool}"))
    if exp.pool_selector:
        snap.model_pods = attempt("model-pods", lambda: cluster.list(
            f"/api/v1/namespaces/{ns}/pods", label_selector=exp.pool_label_selector, what="list pods")) or []
        if not snap.model_pods:
            snap.similar = attempt("similar", lambda: cluster.list(
                f"/api/v1/namespaces/{ns}/pods", metadata_only=True, what="list pods")) or []
    if exp.destination_rule is not None:
        api = str(exp.destination_rule.get("apiVersion", "networking.istio.io/v1beta1"))
        g, _, v = api.partition("/")
        name = exp.destination_rule["metadata"].get("name", exp.epp)
        snap.destination_rule = attempt("destination-rule", lambda: cluster.get(
            f"/apis/{g}/{v}/namespaces/{ns}/destinationrules/{quote(name)}", what=f"get destinationrule {name}"))
    drift.fetch(cluster, exp, snap, attempt)
    return snap


# ---- pod helpers (pure) ----------------------------------------------------------------------
def _statuses(pod: dict) -> list[dict]:
    return list(((pod.get("status") or {}).get("containerStatuses")) or [])


def pod_ready(pod: dict) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def waiting(pod: dict) -> list[tuple[str, str, str]]:
    """(container, reason, message) of containers that are waiting."""
    out = []
    for cs in _statuses(pod):
        w = (cs.get("state") or {}).get("waiting")
        if w:
            out.append((cs.get("name", ""), w.get("reason", ""), w.get("message", "")))
    return out


def restarts(pod: dict) -> int:
    return sum(int(cs.get("restartCount", 0) or 0) for cs in _statuses(pod))


def container_ports(pod: dict) -> set[int]:
    return {int(p["containerPort"]) for c in (pod.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or [] if str(p.get("containerPort", "")).isdigit()}


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def similar_selector(selector: dict, pods_meta: list[dict]) -> tuple[dict | None, int]:
    """When no pod matches `selector`, a selector that would (label keys that differ only in case or
    punctuation, e.g. llm-d.ai/inferenceServing vs llm-d.ai/inference-serving), and how many pods it matches."""
    if not selector:
        return None, 0
    wanted = {_norm(k): (k, v) for k, v in selector.items()}
    best: dict[tuple, int] = {}
    for pod in pods_meta:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        by_norm = {_norm(k): (k, v) for k, v in labels.items()}
        guess = {}
        for nk, (k, v) in wanted.items():
            if nk in by_norm:
                guess[by_norm[nk][0]] = by_norm[nk][1]
        if len(guess) == len(wanted) and guess != selector:
            key = tuple(sorted(guess.items()))
            best[key] = best.get(key, 0) + 1
    if not best:
        return None, 0
    key, count = max(best.items(), key=lambda kv: kv[1])
    return dict(key), count


def model_server_check(exp: Expected, pods: list[dict], similar: list[dict], *, id_: str = "pool-endpoints",
                       none_status: str = FAIL, match_labels_path: str = "inferencePool.modelServers.matchLabels") -> Check:
    """The selector matches ≥ 1 Ready pod that exposes a target port. Pure."""
    sel_text = exp.pool_label_selector or "(empty selector)"
    looked = f"pods in namespace {exp.namespace} with labelSelector {sel_text}"
    title = "Model-server pods behind the pool"
    if not pods:
        guess, count = similar_selector(exp.pool_selector, similar)
        if guess:
            wanted = ", ".join(f"{k}: \"{v}\"" for k, v in guess.items())
            return Check(id_, title, FAIL, f"no pod matches {sel_text}; {count} pod(s) carry {wanted} instead "
                         "(model-server label drift)",
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


# ---- judging a snapshot --------------------------------------------------------------------
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


def evaluate(exp: Expected, snap: Snapshot, *, final: bool = True,
             match_labels_path: str = "inferencePool.modelServers.matchLabels") -> tuple[list[Check], bool]:
    """Checks for a snapshot and whether anything is still settling (worth another refresh)."""
    checks: list[Check] = []
    pending = False

    def waiting_check(id_: str, title: str, evidence: str, remedy: str, looked: str, details=None) -> Check:
        nonlocal pending
        if final:
            return Check(id_, title, FAIL, evidence, remedy, looked, details or [])
        pending = True
        return Check(id_, title, WARN, f"waiting: {evidence}", remedy, looked, details or [])

    # helm release
    rel = snap.release
    looked = f"helm list -n {exp.namespace} --filter ^{exp.release}$ (deployed, failed, pending, uninstalling)"
    want_chart = f"{exp.chart_name}-{exp.chart_version}" if exp.chart_name and exp.chart_version else ""
    if snap.release_error:
        checks.append(Check("release", "Helm release", SKIP, f"could not ask helm: {snap.release_error}", "",
                            looked))
    elif rel is None:
        checks.append(waiting_check("release", "Helm release", f"no release {exp.release} in {exp.namespace}",
                                    "deploy it (gaie-tui deploy)", looked))
    else:
        status, chart = rel.get("status", ""), rel.get("chart", "")
        ev = f"revision {rel.get('revision')} {status}, chart {chart}"
        if status.startswith("pending"):
            checks.append(waiting_check("release", "Helm release", ev,
                                        f"a helm operation did not finish: helm rollback {exp.release} -n "
                                        f"{exp.namespace} (or uninstall a first install)", looked))
            checks[-1].actions = ["rollback", "uninstall"]
        elif status != "deployed":
            checks.append(Check("release", "Helm release", FAIL, ev,
                                f"helm history {exp.release} -n {exp.namespace} shows why; roll back or redeploy",
                                looked, actions=["rollback", "uninstall"]))
        elif want_chart and chart != want_chart:
            checks.append(Check("release", "Helm release", FAIL, f"{ev}, but {want_chart} was asked for",
                                "deploy the chart version you meant", looked))
        else:
            checks.append(Check("release", "Helm release", PASS, ev, "", looked))

    # EPP deployment
    dep = snap.deployment
    looked = f"deployment {exp.epp} in {exp.namespace}"
    want_ready = 1 if exp.epp_replicas > 1 else exp.epp_replicas
    if dep is None:
        checks.append(waiting_check("epp-deployment", "EPP Deployment", f"deployment {exp.epp} not found",
                                    "deploy the release; helm may have rolled it back", looked))
    else:
        st = dep.get("status") or {}
        ready = int(st.get("readyReplicas", 0) or 0)
        avail = next((c for c in st.get("conditions") or [] if c.get("type") == "Available"), {})
        ev = f"{ready}/{exp.epp_replicas} ready" + (" (leader election: only the leader is Ready)"
                                                    if exp.epp_replicas > 1 else "")
        if ready >= want_ready and (avail.get("status") == "True" or exp.epp_replicas > 1):
            checks.append(Check("epp-deployment", "EPP Deployment", PASS, ev + ", Available", "", looked))
        else:
            checks.append(waiting_check("epp-deployment", "EPP Deployment", ev + (
                f", Available={avail.get('status')} ({avail.get('reason', '')})" if avail else ""),
                "see the EPP pod check below", looked))

    # EPP pods, with waiting reasons and log lines
    looked = f"pods in {exp.namespace} with labelSelector {exp.epp_selector}"
    pods = snap.epp_pods
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
                image = next((cs.get("image") for cs in _statuses(pod) if cs.get("name") == c), "") or exp.epp_image
                hard.append(f"{reason}: image {image} cannot be pulled ({msg[:200]})")
            elif reason in ("CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
                            "RunContainerError"):
                hard.append(f"{reason} in container {c} ({msg[:160]})" if msg else f"{reason} in container {c}")
    log_lines: list[str] = []
    for name, (lines, why) in snap.epp_logs.items():
        if lines:
            log_lines += [f"{name}: {ln}" for ln in lines[-LOG_TAIL:]]
        elif why:
            log_lines.append(f"{name}: no log ({why[:160]})")
    ready_pods = [p for p in pods if pod_ready(p)]
    if not pods:
        checks.append(waiting_check("epp-pods", "EPP pods", "no EPP pod exists",
                                    "check the Deployment's events (kubectl describe deployment)", looked))
    elif hard:
        image_trouble = any("cannot be pulled" in h for h in hard)
        remedy = (f"check the image name and tag exist and the cluster can pull them (registry access, "
                  f"imagePullSecrets): {exp.epp_image}" if image_trouble else
                  "read the log lines below; fix the configuration they name and deploy again")
        checks.append(Check("epp-pods", "EPP pods", FAIL, "; ".join(dict.fromkeys(hard)), remedy, looked,
                            details + ([] if image_trouble else log_lines[-12:])))
    elif len(ready_pods) >= want_ready:
        rs = sum(restarts(p) for p in pods)
        status = WARN if rs else PASS
        checks.append(Check("epp-pods", "EPP pods", status, f"{len(ready_pods)} Ready of {len(pods)}"
                            + (f", {rs} restart(s)" if rs else ""),
                            "restarts: read the previous log (kubectl logs --previous)" if rs else "", looked, details))
    else:
        checks.append(waiting_check("epp-pods", "EPP pods", f"0 Ready of {len(pods)}",
                                    "the EPP is Ready only after it has read its InferencePool (CRD and RBAC "
                                    "right); read its log lines below", looked, details + log_lines[-12:]))

    # image
    looked = f"image of the EPP containers vs the rendered Deployment ({exp.epp_image or 'unknown'})"
    running = sorted({str(c.get("image", "")) for p in pods for c in (p.get("spec") or {}).get("containers") or []
                      if c.get("name") == "epp" or len((p.get("spec") or {}).get("containers") or []) == 1})
    if not pods or not exp.epp_image:
        checks.append(Check("epp-image", "EPP image", SKIP, "no EPP pod to look at" if not pods else
                            "the requested image is unknown", "", looked))
    elif running == [exp.epp_image]:
        checks.append(Check("epp-image", "EPP image", PASS, exp.epp_image, "", looked))
    else:
        checks.append(Check("epp-image", "EPP image", FAIL, f"running {', '.join(running)}, requested "
                            f"{exp.epp_image}", "an old ReplicaSet may still run, or the image keys in the values "
                            "were ignored by this chart version (e.g. hub/name on v1.5.0)", looked))

    # logs
    looked = f"last {LOG_TAIL} log lines of each EPP pod"
    all_lines = [ln for lines, _ in snap.epp_logs.values() for ln in lines]
    findings = log_findings(all_lines)
    if not snap.epp_logs:
        checks.append(Check("epp-logs", "EPP log findings", SKIP, "no EPP pod log to read", "", looked))
    elif findings:
        checks.append(Check("epp-logs", "EPP log findings", FAIL, "; ".join(w for w, _, _ in findings),
                            " ".join(r for _, r, _ in findings), looked,
                            [h for _, _, h in findings] + log_lines[-8:]))
    elif not all_lines:
        checks.append(Check("epp-logs", "EPP log findings", SKIP, "no log lines yet" + (
            f" ({next(w for _, w in snap.epp_logs.values() if w)[:160]})"
            if any(w for _, w in snap.epp_logs.values()) else ""), "", looked, log_lines[-4:]))
    else:
        checks.append(Check("epp-logs", "EPP log findings", PASS, "no forbidden, Pool-not-initialized or "
                            "plugin-configuration errors", "", looked))

    # the pool
    looked = f"inferencepool {exp.pool} ({exp.pool_api}) in {exp.namespace}"
    pool = snap.pool
    if pool is None:
        checks.append(waiting_check("pool", "InferencePool", f"inferencepool {exp.pool} not found" + (
            f" ({snap.errors['pool']})" if snap.errors.get("pool") else ""),
            "check the release rendered it and the InferencePool CRD is installed", looked))
    else:
        spec = pool.get("spec") or {}
        sel = spec.get("selector") or {}
        got_sel = {str(k): str(v) for k, v in (sel.get("matchLabels", sel) or {}).items()}
        ref = spec.get("endpointPickerRef") or spec.get("extensionRef") or {}
        port = ref.get("port") or {}
        got_port = port.get("number") if isinstance(port, dict) else port
        problems = []
        if got_sel != exp.pool_selector:
            problems.append(f"selector {got_sel} but {exp.pool_selector} was requested")
        if ref.get("name") != exp.epp:
            problems.append(f"endpointPickerRef names {ref.get('name')!r}, not the EPP Service {exp.epp!r}")
        if got_port is not None and int(got_port) != EXT_PROC_PORT:
            problems.append(f"endpointPickerRef port {got_port}, but the EPP serves ext-proc on {EXT_PROC_PORT}")
        ev = f"selector {got_sel}, endpointPickerRef {ref.get('name')}:{got_port}"
        if problems:
            checks.append(Check("pool", "InferencePool", FAIL, "; ".join(problems),
                                "leave extProcPort at 9002 (the container port never changes) and set the "
                                "selector in the values", looked))
        else:
            checks.append(Check("pool", "InferencePool", PASS, ev, "", looked))

    # model servers
    mchk = model_server_check(exp, snap.model_pods, snap.similar, match_labels_path=match_labels_path)
    checks.append(mchk)

    # DestinationRule
    if exp.destination_rule is not None:
        want = exp.destination_rule
        name = want["metadata"].get("name", exp.epp)
        looked = f"destinationrule {name} in {exp.namespace}"
        dr = snap.destination_rule
        if dr is None:
            checks.append(waiting_check("destination-rule", "Istio DestinationRule", f"destinationrule {name} "
                                        "not found", "install Istio's CRDs; check provider.name is `istio`", looked))
        else:
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
            checks.append(Check("destination-rule", "Istio DestinationRule", FAIL if problems else PASS,
                                "; ".join(problems) or ev, "redeploy; something else changed the rule" if problems
                                else "", looked))
    # parent conditions
    looked = f"status.parents of inferencepool {exp.pool}"
    parents = ((pool or {}).get("status") or {}).get("parents") or []
    if not parents:
        checks.append(Check("pool-parents", "Gateway status on the pool", SKIP,
                            "no gateway has written status yet (normal until an HTTPRoute points at the pool)", "",
                            looked))
    else:
        bad = []
        for p in parents:
            pname = (p.get("parentRef") or {}).get("name", "?")
            for c in p.get("conditions") or []:
                if c.get("type") in ("Accepted", "ResolvedRefs") and c.get("status") != "True":
                    bad.append(f"{pname}: {c.get('type')}={c.get('status')} ({c.get('reason', '')}: "
                               f"{c.get('message', '')[:120]})")
        checks.append(Check("pool-parents", "Gateway status on the pool", FAIL if bad else PASS,
                            "; ".join(bad) or f"{len(parents)} parent(s) Accepted and ResolvedRefs",
                            "read the gateway controller's message; check the HTTPRoute's backendRef" if bad else "",
                            looked))
    checks += drift.checks(exp, snap)
    return checks, pending


def verify(cluster, exp: Expected, *, release_info: Callable[[], dict | None] | None = None,
           wait: float = 0.0, interval: float = 1.0, on_update: Callable[[list[Check], bool], None] | None = None,
           cancel: threading.Event | None = None, match_labels_path: str = "inferencePool.modelServers.matchLabels"
           ) -> list[Check]:
    """Refresh until nothing is settling or `wait` seconds have passed; returns the final checks.
    `on_update(checks, final)` is called after each refresh."""
    deadline = time.monotonic() + wait
    while True:
        snap = fetch(cluster, exp, release_info=release_info)
        last_round = time.monotonic() >= deadline or (cancel is not None and cancel.is_set())
        checks, pending = evaluate(exp, snap, final=last_round, match_labels_path=match_labels_path)
        if not pending or last_round:  # on the last round, whatever still waits is judged final
            if on_update:
                on_update(checks, True)
            return checks
        if on_update:
            on_update(checks, False)
        sleep = min(interval, max(0.0, deadline - time.monotonic()))
        if cancel is not None:
            cancel.wait(sleep)
        else:
            time.sleep(sleep)
