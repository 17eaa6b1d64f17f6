"""Faults a scenario injects into the pods it chooses (by label selector)."""
from __future__ import annotations

from dataclasses import dataclass

from .selectors import labels_match, parse_label_selector

# EPP pods carry `inferencepool=<R>-epp` (inferencepool chart) or `llm-d-router-gateway=<R>-epp`
EPP_SELECTORS = ("inferencepool", "llm-d-router-gateway")
FAULT_KINDS = ("image-pull", "crashloop", "never-ready")


@dataclass(frozen=True)
class Fault:
    """`kind` is one of FAULT_KINDS; the fault hits pods matching any of `selectors`.

    `reason` picks the log story told for the fault: "plugins-config" (a configuration parse error),
    "forbidden" (RBAC denies the EPP's reads), "pool-missing" (Pool is not initialized).
    `message` replaces the error line a crash-looping EPP logs (tests feed hostile text through it:
    escape sequences, markup, tokens).
    """
    kind: str
    selectors: tuple[str, ...] = EPP_SELECTORS
    reason: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        for sel in self.selectors:
            parse_label_selector(sel)  # fail at definition time, not in the controller thread

    def applies_to(self, labels: dict | None) -> bool:
        return any(labels_match(parse_label_selector(s), labels) for s in self.selectors)


def is_epp(labels: dict | None) -> bool:
    labels = labels or {}
    return any(str(labels.get(k, "")).endswith("-epp") for k in EPP_SELECTORS)


def fault_for(faults: tuple[Fault, ...], labels: dict | None) -> Fault | None:
    return next((f for f in faults if f.applies_to(labels)), None)
