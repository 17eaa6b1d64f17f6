"""Simulated controllers: what kube-controller-manager would do, plus the kubelet (kubelet.py),
in one thread.

Deployment -> ReplicaSet -> Pods, Services getting a clusterIP and Endpoints, terminating
namespaces being emptied, every namespace getting its `default` ServiceAccount and
`kube-root-ca.crt` ConfigMap. The loop wakes on store writes and on a short tick (for the
kubelet's timers), and writes only real changes so watchers are not flooded.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import random
import threading
import time
from dataclasses import InitVar, dataclass

from .faults import Fault
from .kubelet import NODE_NAME, Kubelet, pod_ready
from .resources import ResourceType
from .selectors import labels_match, selector_from_match
from .store import Store, WatchEvent, clone, utc_now

_POD_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: dict) -> str:
    """Stable, label-safe stand-in for the controller's pod-template-hash."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


@dataclass
class Controllers:
    store: Store
    ready_delay: InitVar[float] = 1.0  # handed to the kubelet, which owns pod timing and faults
    faults: InitVar[tuple[Fault, ...]] = ()
    tick: float = 0.05

    def __post_init__(self, ready_delay: float, faults: tuple[Fault, ...]) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.kubelet = Kubelet(self.store, ready_delay, tuple(faults), self.tick)
        self._svc_counter = 10
        self._rng = random.Random()
        reg = self.store.registry
        self.rt = {k: reg.lookup(g, "v1", k) for g, k in (
            ("", "pods"), ("", "services"), ("", "namespaces"), ("", "serviceaccounts"), ("", "configmaps"),
            ("", "events"), ("apps", "deployments"), ("apps", "replicasets"))}
        self.store.listeners.append(self._on_event)
        self.store.defaulters = {("", "services"): self._default_service,
                                 ("apps", "deployments"): self._default_deployment,
                                 ("", "pods"): self.kubelet.default_pod}

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gaie-sim-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _on_event(self, ev: WatchEvent) -> None:
        # called under the store lock: only note the change, never write from here
        if ev.key == ("", "pods") and ev.type == "ADDED":
            self.kubelet.track(ev.obj)
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            try:
                self.reconcile()
            except Exception:  # keep the cluster alive; the error is visible in the server's log
                logging.getLogger("gaie_tui.sim").exception("controller pass failed")

    # ---- defaulting (runs inside create, like admission) ---------------------------------
    def _default_service(self, obj: dict) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
            self._svc_counter += 1
            ip = str(ipaddress.ip_address("10.96.0.0") + self._svc_counter)
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        obj["status"] = {"loadBalancer": {}}

    @staticmethod
    def _default_deployment(obj: dict) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("strategy", {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})

    # ---- reconcile -----------------------------------------------------------------------
    def reconcile(self) -> None:
        with self.store.lock:
            self._namespaces()
            self._deployments()
            self._replicasets()
            self.kubelet.step(time.monotonic())
            self._endpoints()

    def settle(self) -> None:
        """Bring every pod to its steady state now (scenario set-up: the cluster was already running)."""
        with self.store.lock:
            for _ in range(3):
                self.reconcile()
                self.kubelet.fast_forward()
                self.kubelet.step(time.monotonic())

    def _namespaces(self) -> None:
        nss, _ = self.store.list(self.rt["namespaces"])
        for ns in nss:
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                self.store.finalize_namespace(name)
                continue
            if self.store.peek(("", "serviceaccounts"), name, "default") is None:
                self.store.create(self.rt["serviceaccounts"], name, {"metadata": {"name": "default"}})
            if self.store.peek(("", "configmaps"), name, "kube-root-ca.crt") is None:
                self.store.create(self.rt["configmaps"], name, {"metadata": {"name": "kube-root-ca.crt"},
                                  "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n"}})

    @staticmethod
    def _owned_by(obj: dict, uid: str) -> bool:
        return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])

    @staticmethod
    def _owner_ref(owner: dict) -> dict:
        return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def _write_status(self, rt: ResourceType, obj: dict, status: dict) -> None:
        if obj.get("status") != status:
            new = clone(obj)
            new["status"] = status
            self.store.update(rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], new,
                              subresource="status")

    def _deployments(self) -> None:
        rs_rt, dep_rt = self.rt["replicasets"], self.rt["deployments"]
        for dep in self.store.list(dep_rt)[0]:
            meta, spec = dep["metadata"], dep.get("spec") or {}
            if meta.get("deletionTimestamp"):
                continue
            ns, want = meta["namespace"], int(spec.get("replicas", 1))
            template = clone(spec.get("template") or {})
            phash = template_hash(template)
            owned = [rs for rs in self.store.list(rs_rt, ns)[0] if self._owned_by(rs, meta["uid"])]
            current = next((rs for rs in owned if rs["metadata"].get("labels", {}).get("pod-template-hash") == phash), None)
            def rev(rs: dict) -> int:
                return int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", 0))

            newest = max((rev(rs) for rs in owned), default=0)
            if current is None:
                labels = {**(template.get("metadata") or {}).get("labels", {}), "pod-template-hash": phash}
                template.setdefault("metadata", {})["labels"] = labels
                selector = clone(spec.get("selector") or {})
                selector.setdefault("matchLabels", {})["pod-template-hash"] = phash
                current = self.store.create(rs_rt, ns, {
                    "metadata": {"name": f"{meta['name']}-{phash}", "labels": labels,
                                 "annotations": {"deployment.kubernetes.io/revision": str(newest + 1),
                                                 "deployment.kubernetes.io/desired-replicas": str(want)},
                                 "ownerReferences": [self._owner_ref(dep)]},
                    "spec": {"replicas": want, "selector": selector, "template": template}})
                owned.append(current)
            elif current["spec"].get("replicas") != want or rev(current) < newest:
                new = clone(current)
                new["spec"]["replicas"] = want
                if rev(current) < newest:  # going back to an older template (rollback) makes it the newest
                    new["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = str(newest + 1)
                current = self.store.update(rs_rt, ns, new["metadata"]["name"], new)
            for rs in owned:
                if rs["metadata"]["uid"] != current["metadata"]["uid"] and rs["spec"].get("replicas", 0) != 0:
                    old = clone(rs)
                    old["spec"]["replicas"] = 0
                    self.store.update(rs_rt, ns, rs["metadata"]["name"], old)
            owned = [rs for rs in self.store.list(rs_rt, ns)[0] if self._owned_by(rs, meta["uid"])]
            cur = next(rs for rs in owned if rs["metadata"]["uid"] == current["metadata"]["uid"])
            total = sum(rs.get("status", {}).get("replicas", 0) for rs in owned)
            ready = sum(rs.get("status", {}).get("readyReplicas", 0) for rs in owned)
            available = sum(rs.get("status", {}).get("availableReplicas", 0) for rs in owned)
            updated = cur.get("status", {}).get("replicas", 0)
            complete = updated == want and total == want and available >= want
            old_conds = {c["type"]: c for c in (dep.get("status") or {}).get("conditions", [])}

            def cond(ctype: str, status: str, reason: str, message: str) -> dict:
                prev = old_conds.get(ctype)
                if prev and prev.get("status") == status and prev.get("reason") == reason:
                    return prev
                now = utc_now()
                return {"type": ctype, "status": status, "reason": reason, "message": message,
                        "lastUpdateTime": now, "lastTransitionTime": now}

            status = {"observedGeneration": meta.get("generation", 1), "replicas": total, "updatedReplicas": updated,
                      "readyReplicas": ready, "availableReplicas": available,
                      "unavailableReplicas": max(0, want - available)}
            status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
            status["conditions"] = [
                cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
                if available >= want else
                cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                cond("Progressing", "True", "NewReplicaSetAvailable",
                     f'ReplicaSet "{cur["metadata"]["name"]}" has successfully progressed.')
                if complete else
                cond("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{cur["metadata"]["name"]}" is progressing.'),
            ]
            self._write_status(dep_rt, dep, status)

    def _replicasets(self) -> None:
        rs_rt, pod_rt = self.rt["replicasets"], self.rt["pods"]
        for rs in self.store.list(rs_rt)[0]:
            meta = rs["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            ns, want = meta["namespace"], int(rs["spec"].get("replicas", 1))
            pods = [p for p in self.store.list(pod_rt, ns)[0]
                    if self._owned_by(p, meta["uid"]) and not p["metadata"].get("deletionTimestamp")]
            template = rs["spec"].get("template") or {}
            for _ in range(want - len(pods)):
                suffix = "".join(self._rng.choice(_POD_NAME_CHARS) for _ in range(5))
                pods.append(self.store.create(pod_rt, ns, {
                    "metadata": {"name": f"{meta['name']}-{suffix}",
                                 "labels": clone((template.get("metadata") or {}).get("labels", {})),
                                 "annotations": clone((template.get("metadata") or {}).get("annotations", {})),
                                 "ownerReferences": [self._owner_ref(rs)]},
                    "spec": clone(template.get("spec") or {})}))
            if len(pods) > want:
                for pod in sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"])[want:]:
                    self.store.delete(pod_rt, ns, pod["metadata"]["name"])
                pods = pods[:want]
            ready = sum(1 for p in pods if pod_ready(p))
            labelled = sum(1 for p in pods if labels_match(selector_from_match(rs["spec"].get("selector")),
                                                           p["metadata"].get("labels")))
            status = {"replicas": len(pods), "fullyLabeledReplicas": labelled, "readyReplicas": ready,
                      "availableReplicas": ready, "observedGeneration": meta.get("generation", 1)}
            self._write_status(rs_rt, rs, {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")})

    def _endpoints(self) -> None:
        """Endpoints for Services with a selector: ready and not-ready pod addresses."""
        svc_rt, ep_rt = self.rt["services"], self.store.registry.lookup("", "v1", "endpoints")
        live = set()
        for svc in self.store.list(svc_rt)[0]:
            meta, spec = svc["metadata"], svc.get("spec") or {}
            if not spec.get("selector"):
                continue
            ns, name = meta["namespace"], meta["name"]
            live.add((ns, name))
            reqs = selector_from_match({"matchLabels": spec["selector"]})
            pods = [p for p in self.store.objects.get(("", "pods"), {}).get(ns, {}).values()
                    if labels_match(reqs, p["metadata"].get("labels")) and (p.get("status") or {}).get("podIP")]
            addr = [{"ip": p["status"]["podIP"], "nodeName": NODE_NAME, "targetRef": {
                "kind": "Pod", "namespace": ns, "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}}
                for p in sorted(pods, key=lambda p: p["metadata"]["name"])]
            ready = [a for a, p in zip(addr, sorted(pods, key=lambda p: p["metadata"]["name"])) if pod_ready(p)]
            unready = [a for a in addr if a not in ready]
            ports = [{k: v for k, v in (("name", sp.get("name")), ("port", _target_port(sp, pods)),
                                        ("protocol", sp.get("protocol", "TCP"))) if v is not None}
                     for sp in spec.get("ports") or []]
            subset = {k: v for k, v in (("addresses", ready), ("notReadyAddresses", unready), ("ports", ports)) if v}
            body = {"metadata": {"name": name, "labels": {
                "endpoints.kubernetes.io/managed-by": "endpoint-controller"}}, "subsets": [subset] if addr else []}
            old = self.store.peek(("", "endpoints"), ns, name)
            if old is None:
                self.store.create(ep_rt, ns, body)
            elif old.get("subsets") != body["subsets"]:
                self.store.update(ep_rt, ns, name, {**clone(old), "subsets": body["subsets"]})
        for ep in self.store.list(ep_rt, labels=selector_from_match({"matchLabels": {
                "endpoints.kubernetes.io/managed-by": "endpoint-controller"}}))[0]:
            if (ep["metadata"]["namespace"], ep["metadata"]["name"]) not in live:
                self.store.delete(ep_rt, ep["metadata"]["namespace"], ep["metadata"]["name"])



def _target_port(service_port: dict, pods: list[dict]):
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, str) and not target.isdigit():
        for p in pods:
            for c in (p.get("spec") or {}).get("containers") or []:
                for cp in c.get("ports") or []:
                    if cp.get("name") == target:
                        return cp.get("containerPort")
        return None
    return int(target) if target is not None else None
