"""The simulated kubelet: each pod's life from Pending to Running and Ready after `ready_delay`
seconds, or into the failure a fault prescribes (ErrImagePull/ImagePullBackOff, CrashLoopBackOff
with a rising restartCount, never Ready). The endpoint picker is Ready only once its InferencePool
exists, and with leader election only one replica is Ready, as with the real EPP.
"""
from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass, field

from .faults import EPP_SELECTORS, Fault, fault_for, is_epp
from .store import Store, clone, utc_now

NODE_NAME = "sim-node-1"
POOL_KEYS = (("inference.networking.k8s.io", "inferencepools"), ("inference.networking.x-k8s.io", "inferencepools"))


def pool_exists(store: Store, namespace: str) -> bool:
    return any(store.objects.get(k, {}).get(namespace) for k in POOL_KEYS)


@dataclass
class PodPlan:
    """Where a simulated pod is in its life; `due` is when its next transition happens."""
    namespace: str
    name: str
    started: float
    due: float
    fault: Fault | None
    stage: str = "pending"  # pending -> running | pull-error | backoff | crashing | done
    restarts: int = 0


@dataclass
class Kubelet:
    store: Store
    ready_delay: float = 1.0
    faults: tuple[Fault, ...] = ()
    tick: float = 0.05
    _plans: dict[str, PodPlan] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ip_counter = 10
        self.pods_rt = self.store.registry.lookup("", "v1", "pods")
        self.events_rt = self.store.registry.lookup("", "v1", "events")

    @staticmethod
    def default_pod(obj: dict) -> None:
        if not obj.get("status"):
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": utc_now()}]}
        obj.setdefault("spec", {}).setdefault("nodeName", NODE_NAME)

    def fast_forward(self) -> None:
        """Make every pending transition due now, as if the pods had been running for a while."""
        for plan in self._plans.values():
            plan.due = 0.0
            plan.started -= self.ready_delay * 10

    def track(self, pod: dict) -> None:
        if pod_ready(pod) or (pod.get("status") or {}).get("phase") in ("Running", "Succeeded", "Failed"):
            return  # seeded as already running
        now = time.monotonic()
        fault = fault_for(self.faults, pod["metadata"].get("labels"))
        self._plans[pod["metadata"]["uid"]] = PodPlan(pod["metadata"]["namespace"], pod["metadata"]["name"],
                                                      now, now + self.ready_delay, fault)

    def step(self, now: float) -> None:
        pod_rt = self.pods_rt
        for uid, plan in list(self._plans.items()):
            pod = self.store.peek(("", "pods"), plan.namespace, plan.name)
            if pod is None or pod["metadata"]["uid"] != uid:
                del self._plans[uid]
                continue
            if plan.stage == "done" or now < plan.due:
                continue
            status = self._next_status(pod, plan, now)
            if status is not None:
                if pod.get("status") != status:
                    self.store.update(pod_rt, plan.namespace, plan.name, {**clone(pod), "status": status},
                                      subresource="status")

    def _next_status(self, pod: dict, plan: PodPlan, now: float) -> dict | None:
        spec, meta = pod.get("spec") or {}, pod["metadata"]
        containers = spec.get("containers") or []
        status = clone(pod.get("status") or {})
        if "podIP" not in status:
            self._ip_counter += 1
            ip = str(ipaddress.ip_address("10.244.0.0") + self._ip_counter)
            status.update({"podIP": ip, "podIPs": [{"ip": ip}], "hostIP": "10.0.0.10",
                           "hostIPs": [{"ip": "10.0.0.10"}], "startTime": utc_now()})
        kind = plan.fault.kind if plan.fault else ""
        started_at = status["startTime"]

        def cstatus(c: dict, state: dict, ready: bool, restarts: int = 0, last: dict | None = None) -> dict:
            out = {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
                   "started": "running" in state, "restartCount": restarts, "state": state}
            if "running" in state or last:
                out["imageID"] = f"{c.get('image', '').split(':')[0]}@sha256:{hashlib.sha256(c.get('image', '').encode()).hexdigest()}"
                out["containerID"] = f"containerd://{hashlib.sha256((meta['uid'] + c['name']).encode()).hexdigest()}"
            if last:
                out["lastState"] = last
            return out

        if kind == "image-pull":
            if plan.stage == "pending":
                plan.stage, plan.due = "pull-error", now + max(self.ready_delay, 0.2)
                reason = "ErrImagePull"
                msg = "failed to pull and unpack image \"{img}\": failed to resolve reference \"{img}\": {img}: not found"
                self._event(pod, "Failed", f'Failed to pull image "{containers[0].get("image", "") if containers else ""}": '
                            "rpc error: code = NotFound desc = " + msg.format(img=containers[0].get("image", "") if containers else ""))
            else:
                plan.stage = "done"
                reason = "ImagePullBackOff"
                msg = 'Back-off pulling image "{img}"'
                self._event(pod, "BackOff", msg.format(img=containers[0].get("image", "") if containers else ""))
            status["containerStatuses"] = [cstatus(c, {"waiting": {"reason": reason, "message": msg.format(img=c.get("image", ""))}}, False)
                                           for c in containers]
            status["phase"] = "Pending"
            status["conditions"] = _conditions(False, containers_reason="ContainersNotReady")
            return status
        if kind == "crashloop":
            plan.restarts += 1 if plan.stage != "pending" else 0
            plan.stage, plan.due = "crashing", now + max(self.ready_delay, 0.3)
            last = {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started_at, "finishedAt": utc_now()}}
            status["containerStatuses"] = [cstatus(c, {"waiting": {"reason": "CrashLoopBackOff", "message":
                f"back-off 10s restarting failed container={c['name']} pod={meta['name']}_{meta['namespace']}({meta['uid']})"}},
                False, plan.restarts, last) for c in containers]
            status["phase"] = "Running"
            status["conditions"] = _conditions(False, containers_reason="ContainersNotReady")
            if plan.restarts in (1, 3):
                self._event(pod, "BackOff", f"Back-off restarting failed container {containers[0]['name'] if containers else ''} "
                            f"in pod {meta['name']}_{meta['namespace']}({meta['uid']})")
            return status
        # healthy or never-ready: containers run; readiness depends on the fault and (EPP) on its pool
        ready = kind != "never-ready"
        if ready and is_epp(meta.get("labels")) and not pool_exists(self.store, meta["namespace"]):
            ready = False  # the endpoint picker is not Ready until it has read its InferencePool
            plan.due = now + self.tick
        elif ready and is_epp(meta.get("labels")) and _leader_elected(containers) and self._other_leader(pod):
            ready = False  # with leader election only the leader serves: the others stay unready
            plan.due = now + self.tick
        else:
            plan.stage = "done"
        running = {"running": {"startedAt": started_at}}
        status["containerStatuses"] = [cstatus(c, running, ready) for c in containers]
        status["phase"] = "Running"
        status["conditions"] = _conditions(ready)
        return status

    def _other_leader(self, pod: dict) -> bool:
        labels = pod["metadata"].get("labels") or {}
        key = next(k for k in EPP_SELECTORS if str(labels.get(k, "")).endswith("-epp"))
        peers = self.store.objects.get(("", "pods"), {}).get(pod["metadata"]["namespace"], {}).values()
        return any(p["metadata"]["uid"] != pod["metadata"]["uid"] and pod_ready(p)
                   and (p["metadata"].get("labels") or {}).get(key) == labels[key]
                   and not p["metadata"].get("deletionTimestamp") for p in peers)

    def _event(self, pod: dict, reason: str, message: str) -> None:
        """Record an Event; a repeat of the same reason for the same pod bumps its count, as the
        kubelet's event aggregation does (so a crash loop is one BackOff event with a rising count)."""
        meta = pod["metadata"]
        now = utc_now()
        ns = meta["namespace"]
        name = f"{meta['name']}.{hashlib.sha256((meta['uid'] + reason).encode()).hexdigest()[:16]}"
        existing = self.store.peek(self.events_rt.key, ns, name)
        if existing is not None:
            updated = {**existing, "message": message, "count": int(existing.get("count", 1)) + 1,
                       "lastTimestamp": now}
            self.store.update(self.events_rt, ns, name, updated)
            return
        self.store.create(self.events_rt, ns, {
            "metadata": {"name": name},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": meta["name"], "uid": meta["uid"],
                               "apiVersion": "v1"},
            "reason": reason, "message": message, "type": "Warning", "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "kubelet", "host": NODE_NAME}})


def _conditions(ready: bool, containers_reason: str = "") -> list[dict]:
    now = utc_now()
    flag = "True" if ready else "False"
    conds = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
             {"type": "Initialized", "status": "True", "lastTransitionTime": now},
             {"type": "ContainersReady", "status": flag, "lastTransitionTime": now},
             {"type": "Ready", "status": flag, "lastTransitionTime": now}]
    if not ready and containers_reason:
        for c in conds[2:]:
            c["reason"] = containers_reason
    return conds


def _leader_elected(containers: list[dict]) -> bool:
    args = [str(a) for c in containers for a in (c.get("args") or [])]
    for i, a in enumerate(args):
        if a.startswith("--ha-enable-leader-election"):
            value = a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else "true")
            return value.strip('"').lower() != "false"
    return False


def pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])

