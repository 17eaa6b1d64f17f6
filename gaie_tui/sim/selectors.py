"""Label and field selectors as the API server understands them.

Parsed once per request into small matcher objects, so filtering thousands of objects is a tight
loop of dict look-ups rather than repeated string parsing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ApiError

_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SET = re.compile(r"^\s*(\S+)\s+(in|notin)\s*\((.*)\)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        # "!=" and "notin" match objects without the key, as the API server does
        return not present or labels[self.key] not in self.values


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside `in (...)` value lists."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _bad(selector: str, why: str) -> ApiError:
    return ApiError.bad_request(f'unable to parse requirement: invalid label selector "{selector}": {why}')


def parse_label_selector(selector: str | None) -> tuple[Requirement, ...]:
    if not selector:
        return ()
    reqs = []
    for part in _split_top_level(selector):
        m = _SET.match(part)
        if m:
            key, op, vals = m.group(1), m.group(2), m.group(3)
            values = frozenset(v.strip() for v in vals.split(",") if v.strip())
            reqs.append(Requirement(key, op, values))
        elif "!=" in part:
            key, _, val = part.partition("!=")
            reqs.append(Requirement(key.strip(), "!=", frozenset({val.strip()})))
        elif "=" in part:
            key, _, val = part.partition("==") if "==" in part else part.partition("=")
            reqs.append(Requirement(key.strip(), "=", frozenset({val.strip()})))
        elif part.startswith("!"):
            reqs.append(Requirement(part[1:].strip(), "!"))
        else:
            reqs.append(Requirement(part, "exists"))
        if not _KEY.match(reqs[-1].key):
            raise _bad(selector, f"invalid key {reqs[-1].key!r}")
    return tuple(reqs)


def selector_from_match(spec: dict | None) -> tuple[Requirement, ...]:
    """A metav1.LabelSelector (matchLabels + matchExpressions) as requirements."""
    if not spec:
        return ()
    reqs = [Requirement(k, "=", frozenset({str(v)})) for k, v in (spec.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        reqs.append(Requirement(expr["key"], ops[expr["operator"]], frozenset(expr.get("values") or ())))
    return tuple(reqs)


def labels_match(reqs: tuple[Requirement, ...], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


@dataclass(frozen=True)
class FieldRequirement:
    path: tuple[str, ...]
    negate: bool
    value: str

    def matches(self, obj: dict) -> bool:
        cur = obj
        for step in self.path:
            cur = cur.get(step) if isinstance(cur, dict) else None
        actual = "" if cur is None else (str(cur).lower() if isinstance(cur, bool) else str(cur))
        return (actual != self.value) if self.negate else (actual == self.value)


def parse_field_selector(selector: str | None) -> tuple[FieldRequirement, ...]:
    """Field selectors are dotted paths into the object (metadata.name, status.phase, type, ...)."""
    if not selector:
        return ()
    reqs = []
    for part in _split_top_level(selector):
        if "!=" in part:
            key, _, val = part.partition("!=")
            negate = True
        elif "=" in part:
            key, _, val = part.partition("==") if "==" in part else part.partition("=")
            negate = False
        else:
            raise ApiError.bad_request(f'invalid field selector "{selector}": {part!r} has no operator')
        reqs.append(FieldRequirement(tuple(key.strip().split(".")), negate, val.strip()))
    return tuple(reqs)


def fields_match(reqs: tuple[FieldRequirement, ...], obj: dict) -> bool:
    return all(r.matches(obj) for r in reqs)
