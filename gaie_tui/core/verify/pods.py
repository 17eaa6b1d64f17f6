"""Pure helpers about pods: readiness, waiting reasons, restarts, ports, and the selector that
would match when a model-server selector matches nothing (label drift)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


def statuses(pod: dict) -> list[dict]:
    return list(((pod.get("status") or {}).get("containerStatuses")) or [])


def pod_ready(pod: dict) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def waiting(pod: dict) -> list[tuple[str, str, str]]:
    """(container, reason, message) of containers that are waiting."""
    out = []
    for cs in statuses(pod):
        w = (cs.get("state") or {}).get("waiting")
        if w:
            out.append((cs.get("name", ""), w.get("reason", ""), w.get("message", "")))
    return out


def restarts(pod: dict) -> int:
    return sum(int(cs.get("restartCount", 0) or 0) for cs in statuses(pod))


def container_ports(pod: dict) -> set[int]:
    return {int(p["containerPort"]) for c in (pod.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or [] if str(p.get("containerPort", "")).isdigit()}


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


# Labels a controller stamps on the pods it makes (per ReplicaSet, revision, pod, job): they select
# one generation of one workload, never "the model servers", so they are never suggested.
CONTROLLER_LABELS = frozenset({"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
                               "apps.kubernetes.io/pod-index", "batch.kubernetes.io/controller-uid",
                               "batch.kubernetes.io/job-name", "controller-uid", "job-name"})


def _labels(pod: dict) -> dict:
    return (pod.get("metadata") or {}).get("labels") or {}


def endpoint_picker_pod(pod: dict, release: str | None = None) -> bool:
    """An endpoint picker's pod, not a model server: it carries a chart's EPP pod label
    (`inferencepool: NAME-epp`, `llm-d-router-gateway: …`, standalone `epp: …`), or belongs to this
    release's EPP (its name or its owner's starts with `RELEASE-epp-`)."""
    from ..charts.refs import FAMILIES
    from ..names import epp_name
    labels = _labels(pod)
    for key in {f.epp_pod_label for f in FAMILIES.values()} | {"epp"}:
        if str(labels.get(key, "")).endswith("-epp"):
            return True
    if release:
        prefix = epp_name(release) + "-"
        meta = pod.get("metadata") or {}
        names = [str(meta.get("name", ""))] + [str(o.get("name", "")) for o in meta.get("ownerReferences") or []]
        if any(n.startswith(prefix) for n in names):
            return True
    return False


def model_server_pods(pods: list[dict], *, target_ports=(), release: str | None = None) -> list[dict]:
    """The pods that could be the pool's model servers: not an endpoint picker (ours or another
    release's), and — when the pod's spec is known (a metadata-only list has none) — with a
    container exposing one of the target ports (any declared port when none are given)."""
    out = []
    for pod in pods:
        if endpoint_picker_pod(pod, release):
            continue
        spec = pod.get("spec")
        if spec is not None:
            ports = container_ports(pod)
            if not (ports & set(target_ports) if target_ports else ports):
                continue
        out.append(pod)
    return out


def similar_selector(selector: dict, pods_meta: list[dict], *, target_ports=(),
                     release: str | None = None) -> tuple[dict | None, int]:
    """When no pod matches `selector`, a selector that would (label keys that differ only in case or
    punctuation, e.g. llm-d.ai/inferenceServing vs llm-d.ai/inference-serving, or the same key with
    another value), and how many pods it matches — among model-server pods only (`model_server_pods`:
    never the EPP's own pods), with no controller-made label (`pod-template-hash` …)."""
    if not selector or any(k in CONTROLLER_LABELS for k in selector):
        return None, 0
    wanted = {_norm(k): (k, v) for k, v in selector.items()}
    best: dict[tuple, int] = {}
    for pod in model_server_pods(pods_meta, target_ports=target_ports, release=release):
        by_norm = {_norm(k): (k, v) for k, v in _labels(pod).items() if k not in CONTROLLER_LABELS}
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


def selector_text(selector: dict) -> str:
    """A selector as kubectl writes one: `key=value,key=value`."""
    return ",".join(f"{k}={v}" for k, v in selector.items())


@dataclass
class SelectorMatch:
    """What a model-server selector finds among a namespace's pods (Setup shows it as you type)."""
    selector: dict
    matching: list[str] = field(default_factory=list)      # pod names
    ready: int = 0
    suggestion: dict | None = None                          # a selector that would match (label drift)
    suggested_pods: int = 0

    def describe(self) -> str:
        if self.matching:
            names = ", ".join(self.matching[:3]) + (" …" if len(self.matching) > 3 else "")
            return f"matches {len(self.matching)} pod(s), {self.ready} Ready: {names}"
        text = "✗ matches no pod in this namespace"
        if self.suggestion:
            text += f"; {self.suggested_pods} pod(s) here carry {selector_text(self.suggestion)} instead (label drift)"
        return text


def selector_matches(selector: dict, pods: list[dict], *, target_ports=(), release: str | None = None) -> SelectorMatch:
    """Pods the selector matches (and how many are Ready); when none, the suggestion the
    verification would make (`similar_selector`): one rule for Setup, preflight and verify."""
    matching = [p for p in pods if all(_labels(p).get(k) == v for k, v in selector.items())]
    out = SelectorMatch(dict(selector), [str((p.get("metadata") or {}).get("name", "?")) for p in matching],
                        sum(1 for p in matching if pod_ready(p)))
    if not matching:
        out.suggestion, out.suggested_pods = similar_selector(selector, pods, target_ports=target_ports,
                                                              release=release)
    return out
