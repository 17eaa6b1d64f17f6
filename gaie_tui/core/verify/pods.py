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
            labels = ",".join(f"{k}={v}" for k, v in self.suggestion.items())
            text += f"; {self.suggested_pods} pod(s) here carry {labels} instead (label drift)"
        return text


def selector_matches(selector: dict, pods: list[dict]) -> SelectorMatch:
    """Pods the selector matches (and how many are Ready); when none, the suggestion the
    verification would make (`similar_selector`): one rule for Setup, preflight and verify."""
    def labels(p: dict) -> dict:
        return (p.get("metadata") or {}).get("labels") or {}
    matching = [p for p in pods if all(labels(p).get(k) == v for k, v in selector.items())]
    out = SelectorMatch(dict(selector), [str((p.get("metadata") or {}).get("name", "?")) for p in matching],
                        sum(1 for p in matching if pod_ready(p)))
    if not matching:
        out.suggestion, out.suggested_pods = similar_selector(selector, pods)
    return out
