"""What the cluster shows for a release: a handful of label-selector-scoped reads, whatever the
number of model-server pods. `fetch()` takes the snapshot; the checks judge it."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from . import drift
from .expected import Expected
from .pods import restarts

LOG_TAIL = 20


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
            restarted = restarts(pod)
            got = attempt(f"log-{name}", lambda: cluster.pod_log(exp.namespace, name, tail=LOG_TAIL))
            lines, why = got if got else ([], snap.errors.get(f"log-{name}", ""))
            if not lines and restarted:
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
