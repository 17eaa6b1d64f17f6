"""How many values a YAML node graph stands for, counted without expanding it.

Aliases share nodes, so a few hundred bytes can stand for billions of values (an alias bomb).
Every core reader of outside YAML (values files, a chart's own files) checks this budget on the
composed graph before it builds a single Python object, and words the refusal its own way.
"""
from __future__ import annotations

import yaml

MAX_NODES = 200_000          # values after alias expansion: far above any values file or chart file
MAX_DEPTH = 200


class OverBudget(Exception):
    """Why a graph is refused — "deep", "recursive" (an alias inside its own anchor) or "large" —
    and the node where that was found (for its line)."""

    def __init__(self, why: str, node) -> None:
        super().__init__(why)
        self.why = why
        self.node = node

    @property
    def line(self) -> int:
        mark = getattr(self.node, "start_mark", None)
        return mark.line + 1 if mark is not None else 1

    @property
    def column(self) -> int:
        mark = getattr(self.node, "start_mark", None)
        return mark.column + 1 if mark is not None else 1


def expanded_size(root, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> int:
    """The number of values `root` expands to (memoised per node, so shared nodes cost nothing
    to count); OverBudget past `max_depth`, past `max_nodes` or on a recursive alias."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node, depth: int) -> int:
        if depth > max_depth:
            raise OverBudget("deep", node)
        nid = id(node)
        if nid in memo:
            return memo[nid]
        if nid in active:
            raise OverBudget("recursive", node)
        active.add(nid)
        if isinstance(node, yaml.ScalarNode):
            n = 1
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(c, depth + 1) for c in node.value)
        else:
            n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(nid)
        memo[nid] = n
        if n > max_nodes:
            raise OverBudget("large", node)
        return n

    try:
        return size(root, 0)
    except RecursionError:
        raise OverBudget("deep", root) from None
